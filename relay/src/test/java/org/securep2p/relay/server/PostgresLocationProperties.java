package org.securep2p.relay.server;

import java.io.IOException;
import java.util.Optional;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code --store} is untrusted text: whatever it is, parsing ends in a location or one IOException sentence. */
class PostgresLocationProperties {

    @Property(tries = 2000)
    void anyTextParsesOrIsRefusedWithASentence(@ForAll("storeLike") String text) {
        try {
            PostgresLocation l = PostgresLocation.parse(text, Optional.empty());
            // Accepted: the JDBC URL carries no user, password or parameter of the text's own.
            assertThat(l.jdbcUrl()).startsWith("jdbc:postgresql://").doesNotContain("?", "@", "&");
            assertThat(l.port()).isBetween(1, 65_535);
        } catch (IOException e) {
            assertThat(e.getMessage()).startsWith("--store: ");
        }
    }

    @Provide
    Arbitrary<String> storeLike() {
        Arbitrary<String> noise = Arbitraries.strings().ofMaxLength(80);
        Arbitrary<String> parts = Arbitraries.oneOf(Arbitraries.strings().withChars("abc019_.-:/?=&@[]%# ")
                .ofMaxLength(20), Arbitraries.longs().between(-1, 1L << 33).map(n -> Long.toString(n)));
        Arbitrary<String> shaped = parts.list().ofSize(4).map(p -> "postgresql://" + p.get(0) + ":" + p.get(1) + "/"
                + p.get(2) + "?user=" + p.get(3));
        Arbitrary<String> wellFormedButThePort = Arbitraries.longs().between(-1, 1L << 33)
                .map(port -> "postgresql://db.example:" + port + "/relay?user=relay");
        return Arbitraries.oneOf(noise, shaped, parts.map(p -> "postgresql://" + p), wellFormedButThePort);
    }
}

package org.securep2p.relay.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PostgresLocationTest {

    @TempDir
    Path dir;

    Path passwordFile(String content, String mode) throws IOException {
        Path f = dir.resolve("pw");
        Files.writeString(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
        return f;
    }

    @Test
    void parsesHostPortDatabaseAndUser() throws Exception {
        PostgresLocation l = PostgresLocation.parse("postgresql://db.example:5433/relay?user=relay_1", Optional.empty());
        assertThat(l.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example:5433/relay");
        assertThat(l.user()).isEqualTo("relay_1");
        assertThat(l.hasPassword()).isFalse();
        PostgresLocation v6 = PostgresLocation.parse("postgresql://[::1]:5432/relay?user=u", Optional.empty());
        assertThat(v6.jdbcUrl()).isEqualTo("jdbc:postgresql://[::1]:5432/relay");
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres://h:1/d?user=u", "postgresql://h/d?user=u", "postgresql://h:1/?user=u",
        "postgresql://h:1/d", "postgresql://h:1/d?user=u&sslmode=disable", "postgresql://u:pw@h:1/d?user=u",
        "postgresql://h:1/d?user=", "postgresql://h:1/d;drop?user=u", "postgresql://h:1/d?user=u#x", "not a uri",
        "postgresql://h:65536/d?user=u", "postgresql://h:0/d?user=u"})
    void refusesAnythingElseWithASentence(String uri) {
        assertThatThrownBy(() -> PostgresLocation.parse(uri, Optional.empty())).isInstanceOf(IOException.class)
                .hasMessageStartingWith("--store: ");
    }

    @Test
    void readsThePasswordWithoutItsNewlineAndNeverPrintsIt() throws Exception {
        PostgresLocation l = PostgresLocation.parse("postgresql://h:1/d?user=u",
                Optional.of(passwordFile("correct horse\n", "rw-------")));
        assertThat(l.password()).isEqualTo("correct horse".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(l.toString()).isEqualTo("postgresql://h:1/d?user=u (password from file)")
                .doesNotContain("horse");
    }

    @Test
    void refusesAPasswordFileThatGroupOrOthersMayRead() throws Exception {
        for (String mode : new String[] {"rw-r-----", "rw----r--"}) {
            Path f = passwordFile("pw", mode);
            assertThatThrownBy(() -> PostgresLocation.parse("postgresql://h:1/d?user=u", Optional.of(f)))
                    .isInstanceOf(IOException.class).hasMessageContaining("chmod 600");
        }
    }

    @Test
    void refusesAnEmptyPassword() throws Exception {
        Path f = passwordFile("\n", "rw-------");
        assertThatThrownBy(() -> PostgresLocation.parse("postgresql://h:1/d?user=u", Optional.of(f)))
                .isInstanceOf(IOException.class).hasMessageContaining("1 to");
    }
}

package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;

import org.junit.jupiter.api.Test;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.StrictWriter;

class ChatFrameTest {

    /** A HELLO as a peer could send it, bypassing the factory's own check. */
    static byte[] rawHello(String name) {
        return new StrictWriter().u8(ChatFrame.VERSION).u8(ChatFrame.Type.HELLO.code)
                .u8(SecurityLevel.STANDARD.code()).var16(name.getBytes(StandardCharsets.UTF_8)).u8(0).toByteArray();
    }

    @Test
    void refusesHelloNamesThatCouldPassForAnotherOrBreakALine() {
        List<String> names = List.of("a\u202Eb", "bob\u200B", "\u2066bob\u2069", "bo\u2028b", "bob\u2029", "bob\u0085",
                "bob\u007F", "bob\u0378", "bob\uE000", "x".repeat(65), "\u00E9".repeat(33));
        for (String name : names) {
            assertThatThrownBy(() -> ChatFrame.decode(rawHello(name))).as(name).isInstanceOf(CryptoException.class)
                    .satisfies(e -> assertThat(((CryptoException) e).reason())
                            .isEqualTo(CryptoException.Reason.BAD_ENCODING));
            assertThatThrownBy(() -> ChatFrame.hello(SecurityLevel.STANDARD, name, Optional.empty())).as(name)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void acceptsOrdinaryNamesInAnyScript() throws Exception {
        for (String name : List.of("bob", "Zo\u00EB", "\u0645\u0631\u064A\u0645", "\u674E\u96F7", "a b", "\uD83D\uDE00",
                "x".repeat(64))) {
            assertThat(ChatFrame.decode(rawHello(name)).username()).isEqualTo(name);
        }
    }

    @Property(tries = 500)
    void aHelloNameDecodesExactlyWhenThePeerTextRuleAllowsIt(@ForAll @StringLength(min = 1, max = 40) String name) {
        String sent = new String(name.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        try {
            assertThat(ChatFrame.decode(rawHello(sent)).username()).isEqualTo(sent);
            assertThat(PeerText.nameProblem(sent)).isEmpty();
        } catch (CryptoException e) {
            assertThat(PeerText.nameProblem(sent)).isPresent();
        }
    }
}

package org.securep2p.app.org;

import java.time.Instant;
import java.util.Arrays;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import org.junit.jupiter.api.Test;
import org.securep2p.crypto.CryptoException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** PROTOCOL.md §23.4's request payload: every value round-trips, every truncation, extension or fault is refused. */
class ChatRequestPayloadProperties {

    @Provide
    Arbitrary<ChatRequestPayload> payloads() {
        Arbitrary<ChatRequestPayload.Kind> kinds = Arbitraries.of(ChatRequestPayload.Kind.class);
        Arbitrary<byte[]> ids = Arbitraries.bytes().array(byte[].class).ofSize(ChatRequestPayload.REQUEST_ID_LENGTH);
        Arbitrary<Instant> times = Arbitraries.longs().between(0, 4_102_444_800_000L).map(Instant::ofEpochMilli);
        Arbitrary<String> codes = Arbitraries.strings().ofMinLength(1).ofMaxLength(1024);
        return Combinators.combine(kinds, ids, times, codes).as((k, id, t, c) -> new ChatRequestPayload(k, id, t,
                switch (k) {
                    case REQUEST -> c;
                    case ACCEPT -> c.length() % 2 == 0 ? "" : c;
                    case DECLINE, TERMINATE -> "";
                })).filter(p -> p.code().getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                        <= ChatRequestPayload.MAX_CODE_BYTES);
    }

    @Property
    void everyPayloadRoundTrips(@ForAll("payloads") ChatRequestPayload p) throws Exception {
        byte[] wire = p.encode();
        assertThat(wire.length).isLessThanOrEqualTo(ChatRequestPayload.MAX_PAYLOAD);
        assertThat(ChatRequestPayload.decode(wire)).isEqualTo(p);
    }

    @Property
    void everyTruncationIsRefused(@ForAll("payloads") ChatRequestPayload p, @ForAll @IntRange(min = 1, max = 5000) int cut) {
        byte[] wire = p.encode();
        byte[] shorter = Arrays.copyOf(wire, Math.max(0, wire.length - cut));
        assertThatThrownBy(() -> ChatRequestPayload.decode(shorter)).isInstanceOf(CryptoException.class);
    }

    @Property
    void everyExtensionIsRefused(@ForAll("payloads") ChatRequestPayload p, @ForAll byte extra) {
        byte[] wire = p.encode();
        byte[] longer = Arrays.copyOf(wire, wire.length + 1);
        longer[wire.length] = extra;
        assertThatThrownBy(() -> ChatRequestPayload.decode(longer)).isInstanceOf(CryptoException.class);
    }

    @Property
    void anUnknownVersionIsItsOwnError(@ForAll("payloads") ChatRequestPayload p, @ForAll @IntRange(min = 2, max = 255) int v) {
        byte[] wire = p.encode();
        wire[0] = (byte) v;
        assertThatThrownBy(() -> ChatRequestPayload.decode(wire)).isInstanceOfSatisfying(CryptoException.class,
                e -> assertThat(e.reason()).isEqualTo(CryptoException.Reason.UNKNOWN_VERSION));
    }

    @Property
    void anUnknownKindIsRefused(@ForAll("payloads") ChatRequestPayload p, @ForAll @IntRange(min = 5, max = 255) int k) {
        byte[] wire = p.encode();
        wire[1] = (byte) k;
        assertThatThrownBy(() -> ChatRequestPayload.decode(wire)).isInstanceOfSatisfying(CryptoException.class,
                e -> assertThat(e.reason()).isEqualTo(CryptoException.Reason.BAD_ENCODING));
    }

    @Test
    void aDeclineWithACodeIsRefused() {
        byte[] wire = new ChatRequestPayload(ChatRequestPayload.Kind.REQUEST, new byte[16], Instant.EPOCH, "x").encode();
        wire[1] = 3; // the same bytes, called a DECLINE: it must carry no code
        assertThatThrownBy(() -> ChatRequestPayload.decode(wire)).isInstanceOf(CryptoException.class);
    }

    @Test
    void aRequestWithoutACodeIsRefused() {
        byte[] wire = new ChatRequestPayload(ChatRequestPayload.Kind.DECLINE, new byte[16], Instant.EPOCH, "").encode();
        wire[1] = 1;
        assertThatThrownBy(() -> ChatRequestPayload.decode(wire)).isInstanceOf(CryptoException.class);
    }

    @Test
    void aCodeThatIsNotUtf8IsRefused() {
        byte[] wire = new ChatRequestPayload(ChatRequestPayload.Kind.REQUEST, new byte[16], Instant.EPOCH, "ab").encode();
        wire[wire.length - 1] = (byte) 0xff;
        assertThatThrownBy(() -> ChatRequestPayload.decode(wire)).isInstanceOf(CryptoException.class);
    }

    @Test
    void toStringShowsNoCode() {
        assertThat(new ChatRequestPayload(ChatRequestPayload.Kind.REQUEST, new byte[16], Instant.EPOCH, "SECRETCODE")
                .toString()).doesNotContain("SECRETCODE");
    }
}

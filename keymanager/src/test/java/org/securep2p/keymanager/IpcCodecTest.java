package org.securep2p.keymanager;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.io.ByteArrayInputStream;
import java.util.Arrays;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.HandshakeTranscript;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.StrictWriter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IpcCodecTest {

    private static byte[] filled(int n, int v) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) v);
        return b;
    }

    private static ReadableByteChannel channel(byte[] bytes) {
        return Channels.newChannel(new ByteArrayInputStream(bytes));
    }

    /** Encodes, reads back through the framing and parses: what the server would see. */
    private static IpcRequest roundTrip(IpcRequest request) throws IOException {
        byte[] frame = IpcCodec.encodeRequest(request);
        ReadableByteChannel in = channel(frame);
        IpcRequest decoded = IpcCodec.decodeRequest(IpcCodec.readFrame(in).orElseThrow());
        assertThat(IpcCodec.readFrame(in)).isEmpty();
        assertThat(decoded.op()).isEqualTo(request.op());
        assertThat(decoded.id()).isEqualTo(request.id());
        return decoded;
    }

    private static byte[] payload(int version, int op, int id, byte[] body) {
        return new StrictWriter().u8(version).u8(op).u32(id).bytes(body).toByteArray();
    }

    @Test
    void roundTripsEveryOp() throws Exception {
        assertThat(roundTrip(IpcRequest.hello(7, filled(32, 0xA5))).data()).isEqualTo(filled(32, 0xA5));
        roundTrip(IpcRequest.empty(IpcOp.IDENTITY, 1));
        roundTrip(IpcRequest.empty(IpcOp.PREKEY_BUNDLE, Integer.MAX_VALUE));
        assertThat(roundTrip(IpcRequest.bytes(IpcOp.AGREE_IDENTITY, 2, filled(32, 9))).data())
                .isEqualTo(filled(32, 9));
        assertThat(roundTrip(IpcRequest.bytes(IpcOp.SIGN_TLS_CERTIFICATE_VERIFY, 3, filled(130, 0x20))).data())
                .hasSize(130);
        assertThat(roundTrip(IpcRequest.bytes(IpcOp.SIGN_TRANSPORT_CERTIFICATE, 4, filled(16 * 1024, 1))).data())
                .hasSize(16 * 1024);
        for (IpcOp op : new IpcOp[] {IpcOp.AGREE_SIGNED_PREKEY, IpcOp.CONSUME_ONE_TIME_PREKEY}) {
            IpcRequest r = roundTrip(IpcRequest.withKeyId(op, 5, 42, filled(32, 3)));
            assertThat(r.keyId()).isEqualTo(42);
            assertThat(r.data()).isEqualTo(filled(32, 3));
        }
        IpcRequest d = roundTrip(IpcRequest.withKeyId(IpcOp.DECAPSULATE, 6, 2, filled(1568, 4)));
        assertThat(d.keyId()).isEqualTo(2);
        assertThat(d.data()).isEqualTo(filled(1568, 4));
        for (SecurityLevel level : SecurityLevel.values()) {
            byte[] hash = filled(level.kdfHash().outputLength(), 0x11);
            IpcRequest s = roundTrip(IpcRequest.sign(8, HandshakeTranscript.of(level, hash)));
            assertThat(s.transcript().level()).isEqualTo(level);
            assertThat(s.transcript().hash()).isEqualTo(hash);
        }
    }

    @Test
    void rejectsUnknownVersion() {
        assertThatThrownBy(() -> IpcCodec.decodeRequest(payload(2, IpcOp.IDENTITY.code, 1, new byte[0])))
                .isInstanceOfSatisfying(IpcException.class,
                        e -> assertThat(e.reason()).isEqualTo(IpcException.Reason.UNKNOWN_VERSION));
    }

    @Test
    void rejectsUnknownOp() {
        for (int op : new int[] {0x00, 0x0C, 0xFF}) {
            assertThatThrownBy(() -> IpcCodec.decodeRequest(payload(1, op, 1, new byte[0])))
                    .isInstanceOfSatisfying(IpcException.class,
                            e -> assertThat(e.reason()).isEqualTo(IpcException.Reason.UNKNOWN_OP));
        }
    }

    @Test
    void rejectsTrailingBytes() {
        assertMalformed(payload(1, IpcOp.IDENTITY.code, 1, new byte[1]));
        assertMalformed(payload(1, IpcOp.AGREE_IDENTITY.code, 1,
                new StrictWriter().var16(filled(32, 1)).u8(0).toByteArray()));
        assertMalformed(payload(1, IpcOp.HELLO.code, 1, filled(33, 1)));
    }

    @Test
    void rejectsTruncatedBodies() {
        assertMalformed(payload(1, IpcOp.HELLO.code, 1, filled(31, 1)));
        assertMalformed(payload(1, IpcOp.AGREE_SIGNED_PREKEY.code, 1, new byte[3]));
        assertMalformed(payload(1, IpcOp.DECAPSULATE.code, 1, new StrictWriter().u32(1).u16(1568).toByteArray()));
        assertMalformed(payload(1, IpcOp.SIGN_HANDSHAKE_TRANSCRIPT.code, 1, new byte[] {3, 1, 2}));
    }

    @Test
    void rejectsOverlongFields() {
        assertMalformed(payload(1, IpcOp.AGREE_IDENTITY.code, 1, new StrictWriter().var16(filled(33, 1))
                .toByteArray()));
        assertMalformed(payload(1, IpcOp.SIGN_TLS_CERTIFICATE_VERIFY.code, 1,
                new StrictWriter().var16(filled(147, 0x20)).toByteArray()));
        assertMalformed(payload(1, IpcOp.DECAPSULATE.code, 1, new StrictWriter().u32(1).var16(filled(1569, 0))
                .toByteArray()));
    }

    @Test
    void rejectsOutOfRangeIdsAndLevels() {
        assertMalformed(payload(1, IpcOp.CONSUME_ONE_TIME_PREKEY.code, 1,
                new StrictWriter().bytes(filled(4, 0xFF)).var16(filled(32, 1)).toByteArray()));
        assertMalformed(payload(1, IpcOp.SIGN_HANDSHAKE_TRANSCRIPT.code, 1, filled(33, 9)));
        assertMalformed(new StrictWriter().u8(1).u8(IpcOp.IDENTITY.code).bytes(filled(4, 0x80)).toByteArray());
    }

    private static void assertMalformed(byte[] payload) {
        assertThatThrownBy(() -> IpcCodec.decodeRequest(payload)).isInstanceOfSatisfying(IpcException.class,
                e -> assertThat(e.reason()).isEqualTo(IpcException.Reason.MALFORMED_FRAME));
    }

    @Test
    void rejectsOversizeFrameBeforeReadingIt() {
        byte[] prefix = ByteBuffer.allocate(4).putInt(IpcCodec.MAX_FRAME_LENGTH + 1).array();
        assertThatThrownBy(() -> IpcCodec.readFrame(channel(prefix))).isInstanceOfSatisfying(IpcException.class,
                e -> assertThat(e.reason()).isEqualTo(IpcException.Reason.FRAME_TOO_LARGE));
        byte[] huge = ByteBuffer.allocate(4).putInt(-1).array();
        assertThatThrownBy(() -> IpcCodec.readFrame(channel(huge))).isInstanceOfSatisfying(IpcException.class,
                e -> assertThat(e.reason()).isEqualTo(IpcException.Reason.FRAME_TOO_LARGE));
    }

    @Test
    void rejectsFrameShorterThanHeader() {
        byte[] frame = new StrictWriter().u32(5).bytes(new byte[5]).toByteArray();
        assertThatThrownBy(() -> IpcCodec.readFrame(channel(frame))).isInstanceOfSatisfying(IpcException.class,
                e -> assertThat(e.reason()).isEqualTo(IpcException.Reason.MALFORMED_FRAME));
    }

    @Test
    void rejectsTruncatedStream() {
        byte[] frame = IpcCodec.encodeRequest(IpcRequest.empty(IpcOp.IDENTITY, 1));
        for (int cut = 1; cut < frame.length; cut++) {
            byte[] part = Arrays.copyOf(frame, cut);
            assertThatThrownBy(() -> IpcCodec.readFrame(channel(part))).isInstanceOfSatisfying(IpcException.class,
                    e -> assertThat(e.reason()).isEqualTo(IpcException.Reason.TRUNCATED));
        }
        assertThat(assertDoesNotThrowRead(new byte[0])).isEmpty();
    }

    private static Optional<byte[]> assertDoesNotThrowRead(byte[] bytes) {
        try {
            return IpcCodec.readFrame(channel(bytes));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void everyCryptoReasonHasAWireCode() {
        for (CryptoException.Reason reason : CryptoException.Reason.values()) {
            int code = IpcCodec.cryptoReasonCode(reason);
            assertThat(code).as(reason.name()).isPositive();
            assertThat(IpcCodec.cryptoReason(code)).contains(reason);
        }
        assertThat(IpcCodec.cryptoReason(0)).isEmpty();
        assertThat(IpcCodec.cryptoReason(255)).isEmpty();
    }

    @Test
    void cryptoErrorResponseBecomesTheSameReason() throws Exception {
        byte[] frame = IpcCodec.errorResponse(IpcOp.CONSUME_ONE_TIME_PREKEY.code, 9,
                IpcCodec.Status.CRYPTO_ERROR,
                IpcCodec.cryptoReasonCode(CryptoException.Reason.PREKEY_ALREADY_USED),
                "PREKEY_ALREADY_USED: one-time prekey 1 was used");
        byte[] payload = IpcCodec.readFrame(channel(frame)).orElseThrow();
        assertThatThrownBy(() -> IpcCodec.responseBody(payload, IpcOp.CONSUME_ONE_TIME_PREKEY, 9))
                .isInstanceOfSatisfying(CryptoException.class, e -> {
                    assertThat(e.reason()).isEqualTo(CryptoException.Reason.PREKEY_ALREADY_USED);
                    assertThat(e.getMessage()).isEqualTo(
                            "PREKEY_ALREADY_USED: key manager: one-time prekey 1 was used");
                });
    }

    @Test
    void rejectsResponseForAnotherRequest() throws Exception {
        byte[] frame = IpcCodec.okResponse(IpcOp.IDENTITY, 4, new byte[0]);
        byte[] payload = IpcCodec.readFrame(channel(frame)).orElseThrow();
        assertThatThrownBy(() -> IpcCodec.responseBody(payload, IpcOp.IDENTITY, 5))
                .isInstanceOfSatisfying(IpcException.class,
                        e -> assertThat(e.reason()).isEqualTo(IpcException.Reason.MALFORMED_FRAME));
        assertThatThrownBy(() -> IpcCodec.responseBody(payload, IpcOp.PREKEY_BUNDLE, 4))
                .isInstanceOf(IpcException.class);
    }

    @Test
    void errorTextIsBoundedAndPrintable() throws Exception {
        String longText = "x\u00e9\n".repeat(300);
        byte[] frame = IpcCodec.errorResponse(1, 1, IpcCodec.Status.INTERNAL_ERROR, 0, longText);
        byte[] payload = IpcCodec.readFrame(channel(frame)).orElseThrow();
        assertThatThrownBy(() -> IpcCodec.responseBody(payload, IpcOp.HELLO, 1))
                .isInstanceOfSatisfying(IpcException.class, e -> {
                    assertThat(e.reason()).isEqualTo(IpcException.Reason.REJECTED);
                    assertThat(e.getMessage()).doesNotContain("\n").contains("x??");
                });
    }
}

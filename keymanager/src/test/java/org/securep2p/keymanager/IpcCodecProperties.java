package org.securep2p.keymanager;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.Channels;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.StrictWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** Arbitrary bytes reach the parsers only as typed errors: never another exception, never a crash. */
class IpcCodecProperties {

    @Property(tries = 2000)
    void randomRequestPayloadsFailOnlyTyped(@ForAll @Size(max = 300) byte[] payload) {
        try {
            IpcCodec.decodeRequest(payload);
        } catch (IpcException e) {
            assertThat(e.reason()).isNotNull();
        }
    }

    /** The header is valid so the per-op body parsers, not the header check, meet the random bytes. */
    @Property(tries = 2000)
    void randomBodiesForKnownOpsFailOnlyTyped(@ForAll @IntRange(min = 1, max = 10) int op,
            @ForAll @Size(max = 200) byte[] body) {
        byte[] payload = new StrictWriter().u8(IpcCodec.VERSION).u8(op).u32(1).bytes(body).toByteArray();
        try {
            IpcCodec.decodeRequest(payload);
        } catch (IpcException e) {
            assertThat(e.reason()).isIn(IpcException.Reason.MALFORMED_FRAME);
        }
    }

    @Property(tries = 1000)
    void randomStreamsFrameOnlyTyped(@ForAll @Size(max = 64) byte[] stream) {
        try {
            IpcCodec.readFrame(Channels.newChannel(new ByteArrayInputStream(stream)));
        } catch (IpcException e) {
            assertThat(e.reason()).isNotNull();
        } catch (IOException e) {
            throw new AssertionError("untyped failure", e);
        }
    }

    @Property(tries = 2000)
    void randomResponsesFailOnlyTyped(@ForAll @IntRange(min = 1, max = 10) int op,
            @ForAll @Size(max = 120) byte[] body) {
        IpcOp ipcOp = IpcOp.fromCode(op).orElseThrow();
        byte[] payload = new StrictWriter().u8(IpcCodec.VERSION).u8(op).u32(3).bytes(body).toByteArray();
        try {
            var r = IpcCodec.responseBody(payload, ipcOp, 3);
            switch (ipcOp) {
                case HELLO, IDENTITY -> IpcCodec.readIdentity(r);
                case PREKEY_BUNDLE -> IpcCodec.readBundle(r);
                case SIGN_HANDSHAKE_TRANSCRIPT -> IpcCodec.readSignature(r);
                case SIGN_TLS_CERTIFICATE_VERIFY, SIGN_TRANSPORT_CERTIFICATE -> IpcCodec.readEd25519Signature(r);
                default -> IpcCodec.readSecret(r).close();
            }
        } catch (IpcException | CryptoException e) {
            assertThat(e.getMessage()).isNotNull();
        }
    }
}

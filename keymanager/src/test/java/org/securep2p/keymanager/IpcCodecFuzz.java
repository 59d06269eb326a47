package org.securep2p.keymanager;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;
import java.util.Optional;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.StrictReader;

/**
 * Coverage-guided fuzzing of the key manager's wire codec, both directions: the server reads frames from any
 * local process that reaches its socket, the client reads whatever comes back. Each side must end every input in
 * a request/body it can use or in {@link IpcException} (or the key holder's {@link CryptoException}); any other
 * exception is a finding. A request that decodes must encode back to the same bytes (one encoding per request).
 * Seeds (every op's request, OK and error responses) are in {@code IpcCodecFuzzInputs/}.
 */
class IpcCodecFuzz {

    /** More frames than any seed holds; bounds the work of one input. */
    private static final int MAX_FRAMES_PER_INPUT = 16;

    @FuzzTest(maxDuration = "5m")
    void requestStreamDecodesOrIsRefused(byte[] stream) throws Exception {
        ReadableByteChannel in = Channels.newChannel(new ByteArrayInputStream(stream));
        for (int i = 0; i < MAX_FRAMES_PER_INPUT; i++) {
            Optional<byte[]> frame;
            try {
                frame = IpcCodec.readFrame(in);
            } catch (IpcException e) {
                return;
            }
            if (frame.isEmpty()) {
                return;
            }
            byte[] payload = frame.get();
            assertThat(payload.length).isBetween(IpcCodec.HEADER_LENGTH, IpcCodec.MAX_FRAME_LENGTH);
            IpcRequest request;
            try {
                request = IpcCodec.decodeRequest(payload);
            } catch (IpcException e) {
                continue;
            }
            assertThat(request.id()).isEqualTo(IpcCodec.requestId(payload));
            assertThat(request.op().code).isEqualTo(IpcCodec.opCode(payload));
            byte[] again = IpcCodec.encodeRequest(request);
            assertThat(Arrays.copyOfRange(again, 4, again.length)).isEqualTo(payload);
        }
    }

    /** The first byte picks the op the client waits for; the rest is the response payload it reads. */
    @FuzzTest(maxDuration = "5m")
    void responseIsABodyOrATypedError(byte[] input) throws Exception {
        if (input.length == 0) {
            return;
        }
        IpcOp[] ops = IpcOp.values();
        IpcOp op = ops[(input[0] & 0xFF) % ops.length];
        byte[] payload = Arrays.copyOfRange(input, 1, input.length);
        int id = payload.length >= IpcCodec.HEADER_LENGTH ? IpcCodec.requestId(payload) : 0;
        try {
            StrictReader body = IpcCodec.responseBody(payload, op, id);
            switch (op) {
                case HELLO, IDENTITY -> IpcCodec.readIdentity(body);
                case PREKEY_BUNDLE -> IpcCodec.readBundle(body);
                case SIGN_HANDSHAKE_TRANSCRIPT -> IpcCodec.readSignature(body);
                case SIGN_TLS_CERTIFICATE_VERIFY, SIGN_TRANSPORT_CERTIFICATE -> IpcCodec.readEd25519Signature(body);
                default -> IpcCodec.readSecret(body).close();
            }
        } catch (IpcException | CryptoException e) {
            // Typed refusal: what the client turns into a failed call.
        }
    }
}

package org.securep2p.keymanager;

import java.util.Optional;

/**
 * The operations of the key-manager IPC, with their wire codes. There is deliberately no operation that
 * returns a private key: the key manager answers with agreements, decapsulations and signatures only.
 */
enum IpcOp {
    /** Must be the first frame of a connection: carries the launch token; answered with the identity. */
    HELLO(0x01),
    IDENTITY(0x02),
    PREKEY_BUNDLE(0x03),
    AGREE_IDENTITY(0x04),
    AGREE_SIGNED_PREKEY(0x05),
    CONSUME_ONE_TIME_PREKEY(0x06),
    DECAPSULATE(0x07),
    SIGN_HANDSHAKE_TRANSCRIPT(0x08),
    SIGN_TLS_CERTIFICATE_VERIFY(0x09),
    SIGN_TRANSPORT_CERTIFICATE(0x0A),
    DERIVE_STORAGE_KEY(0x0B);

    final int code;

    IpcOp(int code) {
        this.code = code;
    }

    static Optional<IpcOp> fromCode(int code) {
        for (IpcOp op : values()) {
            if (op.code == code) {
                return Optional.of(op);
            }
        }
        return Optional.empty();
    }
}

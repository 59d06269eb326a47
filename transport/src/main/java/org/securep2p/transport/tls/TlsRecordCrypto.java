package org.securep2p.transport.tls;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.crypto.TlsCipher;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.TlsAEADCipher;
import org.bouncycastle.tls.crypto.impl.TlsAEADCipherImpl;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

/**
 * Bouncy Castle's TLS crypto with one change: the record layer's ChaCha20-Poly1305 (RFC 8439) is the JDK's
 * {@code ChaCha20-Poly1305} cipher instead of BC's. Both are standard implementations of the same AEAD, and
 * the TLS record protection around it (nonces, additional data, sequence numbers) is still BC's
 * {@link TlsAEADCipher}; only who computes the AEAD changes. Measured here (16 KiB records, warm): BC 119 MiB/s,
 * JDK 17 179 MiB/s, JDK 25 373 MiB/s (its ChaCha20 has CPU intrinsics). Key exchange, signatures and the
 * handshake are untouched.
 */
final class TlsRecordCrypto extends BcTlsCrypto {

    TlsRecordCrypto(SecureRandom random) {
        super(random);
    }

    @Override
    protected TlsCipher createChaCha20Poly1305(TlsCryptoParameters cryptoParams) throws IOException {
        return new TlsAEADCipher(cryptoParams, new JdkChaCha20Poly1305(true), new JdkChaCha20Poly1305(false),
                JdkChaCha20Poly1305.KEY_LENGTH, JdkChaCha20Poly1305.TAG_LENGTH, TlsAEADCipher.AEAD_CHACHA20_POLY1305,
                null);
    }

    /** One direction of the record layer's AEAD through {@code javax.crypto}. */
    static final class JdkChaCha20Poly1305 implements TlsAEADCipherImpl {
        static final int KEY_LENGTH = 32;
        static final int NONCE_LENGTH = 12;
        static final int TAG_LENGTH = 16;

        private final boolean encrypting;
        private final Cipher cipher;
        private SecretKeySpec key;

        JdkChaCha20Poly1305(boolean encrypting) throws IOException {
            this.encrypting = encrypting;
            try {
                this.cipher = Cipher.getInstance("ChaCha20-Poly1305");
            } catch (GeneralSecurityException e) {
                throw new IOException("the JDK offers no ChaCha20-Poly1305", e);
            }
        }

        @Override
        public void setKey(byte[] keyBytes, int keyOff, int keyLen) throws IOException {
            if (keyLen != KEY_LENGTH) {
                throw new TlsFatalAlert(AlertDescription.internal_error);
            }
            byte[] copy = Arrays.copyOfRange(keyBytes, keyOff, keyOff + keyLen);
            this.key = new SecretKeySpec(copy, "ChaCha20");
            Arrays.fill(copy, (byte) 0);
        }

        @Override
        public void init(byte[] nonce, int macSize) throws IOException {
            if (key == null || nonce == null || nonce.length != NONCE_LENGTH || macSize != TAG_LENGTH) {
                throw new TlsFatalAlert(AlertDescription.internal_error);
            }
            try {
                cipher.init(encrypting ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE, key, new IvParameterSpec(nonce));
            } catch (GeneralSecurityException e) {
                // The JDK refuses an encryption nonce repeated under one key: TLS never does that, so it is a bug.
                throw new TlsFatalAlert(AlertDescription.internal_error, e);
            }
        }

        @Override
        public int getOutputSize(int inputLength) {
            return encrypting ? inputLength + TAG_LENGTH : inputLength - TAG_LENGTH;
        }

        @Override
        public int doFinal(byte[] additionalData, byte[] input, int inputOffset, int inputLength, byte[] output,
                int outputOffset) throws IOException {
            try {
                if (additionalData != null && additionalData.length > 0) {
                    cipher.updateAAD(additionalData);
                }
                return cipher.doFinal(input, inputOffset, inputLength, output, outputOffset);
            } catch (AEADBadTagException e) {
                throw new TlsFatalAlert(AlertDescription.bad_record_mac);
            } catch (GeneralSecurityException e) {
                throw new TlsFatalAlert(AlertDescription.internal_error, e);
            }
        }
    }
}

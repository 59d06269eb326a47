package org.securep2p.transport.tls;

import java.util.HexFormat;
import java.util.Random;

import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.crypto.impl.TlsAEADCipherImpl;
import org.bouncycastle.tls.crypto.impl.bc.BcChaCha20Poly1305;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The JDK-backed record AEAD matches RFC 8439 and Bouncy Castle's own, byte for byte, both ways. */
class TlsRecordCryptoTest {

    private static final HexFormat HEX = HexFormat.of();

    private static byte[] seal(TlsAEADCipherImpl c, byte[] key, byte[] nonce, byte[] ad, byte[] pt) throws Exception {
        c.setKey(key, 0, key.length);
        c.init(nonce, 16);
        byte[] out = new byte[c.getOutputSize(pt.length)];
        assertThat(c.doFinal(ad, pt, 0, pt.length, out, 0)).isEqualTo(out.length);
        return out;
    }

    private static byte[] open(TlsAEADCipherImpl c, byte[] key, byte[] nonce, byte[] ad, byte[] ct) throws Exception {
        c.setKey(key, 0, key.length);
        c.init(nonce, 16);
        byte[] out = new byte[c.getOutputSize(ct.length)];
        assertThat(c.doFinal(ad, ct, 0, ct.length, out, 0)).isEqualTo(out.length);
        return out;
    }

    @Test
    void matchesRfc8439Section282() throws Exception {
        byte[] key = HEX.parseHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        byte[] nonce = HEX.parseHex("070000004041424344454647");
        byte[] ad = HEX.parseHex("50515253c0c1c2c3c4c5c6c7");
        byte[] pt = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
                + "sunscreen would be it.").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] ct = seal(new TlsRecordCrypto.JdkChaCha20Poly1305(true), key, nonce, ad, pt);
        assertThat(HEX.formatHex(ct)).startsWith("d31a8d34648e60db7b86afbc53ef7ec2").endsWith(
                "1ae10b594f09e26a7e902ecbd0600691");
        assertThat(open(new TlsRecordCrypto.JdkChaCha20Poly1305(false), key, nonce, ad, ct)).isEqualTo(pt);
    }

    @Test
    void agreesWithBouncyCastleBothWays() throws Exception {
        Random r = new Random(8439);
        for (int i = 0; i < 200; i++) {
            byte[] key = new byte[32];
            byte[] nonce = new byte[12];
            byte[] ad = new byte[r.nextInt(20)];
            byte[] pt = new byte[r.nextInt(17_000)];
            r.nextBytes(key);
            r.nextBytes(nonce);
            r.nextBytes(ad);
            r.nextBytes(pt);
            byte[] ours = seal(new TlsRecordCrypto.JdkChaCha20Poly1305(true), key, nonce, ad, pt);
            byte[] theirs = seal(new BcChaCha20Poly1305(true), key, nonce, ad, pt);
            assertThat(ours).isEqualTo(theirs);
            assertThat(open(new BcChaCha20Poly1305(false), key, nonce, ad, ours)).isEqualTo(pt);
            assertThat(open(new TlsRecordCrypto.JdkChaCha20Poly1305(false), key, nonce, ad, theirs)).isEqualTo(pt);
        }
    }

    @Test
    void refusesAModifiedRecordWithBadRecordMac() throws Exception {
        byte[] key = new byte[32];
        byte[] nonce = new byte[12];
        byte[] ct = seal(new TlsRecordCrypto.JdkChaCha20Poly1305(true), key, nonce, new byte[5], new byte[100]);
        for (int bit = 0; bit < ct.length * 8; bit += 7) {
            byte[] bad = ct.clone();
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
            assertThatThrownBy(() -> open(new TlsRecordCrypto.JdkChaCha20Poly1305(false), key, nonce, new byte[5], bad))
                    .isInstanceOf(TlsFatalAlert.class).hasMessageContaining("bad_record_mac");
        }
    }
}

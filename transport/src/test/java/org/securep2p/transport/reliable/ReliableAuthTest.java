package org.securep2p.transport.reliable;

import java.util.Arrays;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The packet tag (PROTOCOL.md 13.9): what it covers, which key makes it, and what it leaves behind. */
class ReliableAuthTest {

    private static byte[] material() {
        byte[] m = new byte[ReliableAuth.EXPORTER_BYTES];
        for (int i = 0; i < m.length; i++) {
            m[i] = (byte) (i * 7 + 1);
        }
        return m;
    }

    private static byte[] taggedPing(ReliableAuth auth) {
        byte[] b = new byte[DatagramLink.MAX_DATAGRAM];
        int pos = ReliableWire.writeHeader(b, ReliableWire.TYPE_PING, 0x1234_5678, 99);
        pos = ReliableWire.writeAck(b, pos, 1 << 20, new ReliableRangeSet(1, true), 0);
        ReliableWire.markTagged(b);
        return Arrays.copyOf(b, auth.tag(b, pos));
    }

    @Test
    void theClientsTagVerifiesAtTheServerOnlyAndIsGmacOverTheWholePacketWithThePacketNumberAsNonce()
            throws Exception {
        ReliableAuth client = ReliableAuth.fromExporter(material(), true);
        ReliableAuth server = ReliableAuth.fromExporter(material(), false);
        byte[] d = taggedPing(client);
        assertThat(server.verify(d, d.length)).isTrue();
        // A packet reflected back to its sender does not verify: each direction has its own key.
        assertThat(client.verify(d, d.length)).isFalse();
        // Independently computed: AES-256-GCM under the first 32 exported bytes, nonce 0^32 || packet number 99,
        // no plaintext, everything before the tag as associated data.
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
        byte[] nonce = new byte[12];
        nonce[11] = 99;
        gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(Arrays.copyOf(material(), ReliableAuth.KEY_BYTES), "AES"),
                new GCMParameterSpec(128, nonce));
        gcm.updateAAD(Arrays.copyOf(d, d.length - ReliableWire.TAG_BYTES));
        assertThat(Arrays.copyOfRange(d, d.length - ReliableWire.TAG_BYTES, d.length)).isEqualTo(gcm.doFinal());
    }

    @Test
    void aPacketNumberIsNeverTaggedTwiceUnderOneKey() {
        ReliableAuth client = ReliableAuth.fromExporter(material(), true);
        taggedPing(client);
        // The JDK refuses a repeated key and nonce: a reused packet number is a loud bug, never a weak tag.
        assertThatThrownBy(() -> taggedPing(client)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void everyFlippedBitOfHeaderBodyOrTagFailsAndTheNextGoodPacketStillVerifies() {
        ReliableAuth client = ReliableAuth.fromExporter(material(), true);
        ReliableAuth server = ReliableAuth.fromExporter(material(), false);
        byte[] d = taggedPing(client);
        for (int bit = 0; bit < d.length * 8; bit++) {
            byte[] m = d.clone();
            m[bit / 8] ^= (byte) (1 << (bit % 8));
            assertThat(server.verify(m, m.length)).as("bit %d flipped", bit).isFalse();
        }
        assertThat(server.verify(d, d.length)).isTrue();
        assertThat(server.verify(d, d.length - 1)).isFalse();
        assertThat(server.verify(d, ReliableWire.TAG_BYTES - 1)).isFalse();
    }

    @Test
    void otherExporterOutputMakesOtherKeys() {
        ReliableAuth client = ReliableAuth.fromExporter(material(), true);
        byte[] other = material();
        other[0] ^= 1;
        ReliableAuth stranger = ReliableAuth.fromExporter(other, false);
        byte[] d = taggedPing(client);
        assertThat(stranger.verify(d, d.length)).isFalse();
    }

    @Test
    void theExportedBytesAreWipedAndNeverPrinted() {
        byte[] m = material();
        ReliableAuth auth = ReliableAuth.fromExporter(m, true);
        assertThat(m).containsOnly((byte) 0);
        assertThat(auth.toString()).doesNotContain("0x").hasSizeLessThan(60);
    }
}

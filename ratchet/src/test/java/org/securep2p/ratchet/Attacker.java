package org.securep2p.ratchet;

import java.security.SecureRandom;
import java.time.Clock;

import org.securep2p.crypto.Aead;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.StrictWriter;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A passive attacker who, at one moment, copied the victim's whole session record, and from then on sees every
 * wire message. It keeps its copy moving as the victim's state would: a message the victim accepts goes through
 * the copy too (with the copy's own randomness, so the ratchet and KEM keys the victim then generates are not
 * the attacker's), and a message the victim sends advances the copy's sending chain. The attacker reads a
 * message when its copy opens it.
 *
 * <p>To model an attacker who also learns every X25519 private key the victim generates later (a quantum
 * attacker, or a leak of the classical keys), {@link #readIncoming} takes the victim's new ratchet private key
 * and plants it as the next 32 random bytes of the copy's PRNG, which the copy's ratchet step then uses as its
 * own new X25519 key. KEM encapsulations and the victim's new ML-KEM key pairs are never given to the attacker.
 */
final class Attacker {

    private final PlantedRandom random;
    final Peer copy;

    Attacker(byte[] victimRecord, long seed, Clock clock) throws RatchetException {
        random = new PlantedRandom(Conversation.seeded(seed));
        copy = new Peer("attacker", victimRecord, random, clock);
    }

    /**
     * A message the victim has just accepted, read through the copy; null if the copy cannot open it.
     * {@code newDhPrivateKey}: the X25519 key the victim's ratchet step on this message generated, if the
     * attacker is to have it (else null).
     */
    byte[] readIncoming(byte[] wire, byte[] newDhPrivateKey) {
        random.planted = newDhPrivateKey;
        try {
            byte[] plaintext = copy.decrypt(wire);
            if (newDhPrivateKey != null) {
                assertThat(random.planted).as("the copy's ratchet step took the planted key").isNull();
            }
            return plaintext;
        } catch (RatchetException e) {
            return null;
        } finally {
            random.planted = null;
        }
    }

    /**
     * A message the victim has just sent: read with the copy's sending chain (null if the copy cannot open its
     * header or body), then the copy's chain and counters move on as the victim's did.
     */
    byte[] readOutgoing(byte[] wire) {
        SessionState s = copy.state();
        byte[] plaintext = openWithSendingChain(s, wire);
        try {
            FreshGcm.clear();
            copy.encrypt(new byte[0]);
        } catch (RatchetException e) {
            // The copy has no sending chain (it never took the responder's first message): nothing to follow.
        }
        return plaintext;
    }

    private static byte[] openWithSendingChain(SessionState s, byte[] wire) {
        if (s.sendChainKey == null) {
            return null;
        }
        try {
            WireMessage m = WireMessage.decode(wire);
            int n;
            byte[] field = m.headerField();
            if (!s.headerEncrypted()) {
                n = new org.securep2p.crypto.StrictReader(field, "STANDARD header").u32("N");
            } else {
                byte[] ad = new StrictWriter().bytes(s.associatedData).u8(WireMessage.VERSION).u8(s.level.code())
                        .toByteArray();
                try (SecretBytes hk = s.sendHeaderKey.secret();
                        Aead aead = Aead.withRandomNonces(WireMessage.headerAead(s.level), hk, new SecureRandom())) {
                    n = Header.decode(aead.decrypt(field, ad), s.kemSteps()).n();
                }
            }
            if (n != s.sendN) {
                return null;
            }
            byte[] mk = Kdf.chainStep(s.level, s.sendChainKey).message().unsafeBytes();
            byte[] ad = new StrictWriter().bytes(s.associatedData).bytes(m.prefix()).toByteArray();
            try (SecretBytes key = SecretBytes.copyOf(mk);
                    Aead aead = Aead.fromMessageKey(s.level.messageAead(), s.level.kdfHash(), key, m.random())) {
                return aead.decrypt(m.body(), ad);
            }
        } catch (CryptoException | RatchetException e) {
            return null;
        }
    }

    /** A PRNG whose next 32-byte draw can be replaced by a planted value. */
    static final class PlantedRandom extends SecureRandom {
        private static final long serialVersionUID = 1;
        private final transient SecureRandom delegate;
        transient byte[] planted;

        PlantedRandom(SecureRandom delegate) {
            this.delegate = delegate;
        }

        @Override
        public void nextBytes(byte[] bytes) {
            if (planted != null && bytes.length == planted.length) {
                System.arraycopy(planted, 0, bytes, 0, bytes.length);
                planted = null;
                return;
            }
            delegate.nextBytes(bytes);
        }
    }
}

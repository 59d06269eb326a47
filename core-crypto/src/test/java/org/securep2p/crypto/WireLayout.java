package org.securep2p.crypto;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;
import static org.securep2p.crypto.CryptoException.Reason.BAD_SIGNATURE;
import static org.securep2p.crypto.CryptoException.Reason.DECRYPT_FAILED;
import static org.securep2p.crypto.CryptoException.Reason.DOWNGRADE;
import static org.securep2p.crypto.CryptoException.Reason.IDENTITY_MISMATCH;
import static org.securep2p.crypto.CryptoException.Reason.LOW_ORDER_POINT;
import static org.securep2p.crypto.CryptoException.Reason.MISSING_PREKEY;
import static org.securep2p.crypto.CryptoException.Reason.STALE_PREKEY;
import static org.securep2p.crypto.CryptoException.Reason.UNKNOWN_PREKEY;
import static org.securep2p.crypto.CryptoException.Reason.UNKNOWN_VERSION;
import static org.securep2p.crypto.CryptoException.Reason.WRONG_KEY_TYPE;

/**
 * The field layout of a bundle and an initial message, written from {@code docs/PROTOCOL.md} (not from the
 * codec), each field with the rejection reasons a corrupted copy of it may legitimately cause. Structural
 * fields (lengths, flags) may cause any parse error, because what follows them is then read out of place.
 */
final class WireLayout {

    record Field(String name, int offset, int length, Set<CryptoException.Reason> allowed) {
    }

    private static final Set<CryptoException.Reason> STRUCTURE = EnumSet.of(BAD_ENCODING, WRONG_KEY_TYPE);
    private final List<Field> fields = new ArrayList<>();
    private final byte[] data;
    private int pos;

    private WireLayout(byte[] data) {
        this.data = data;
    }

    List<Field> fields() {
        return fields;
    }

    private void field(String name, int length, CryptoException.Reason first, CryptoException.Reason... more) {
        fields.add(new Field(name, pos, length, EnumSet.of(first, more)));
        pos += length;
    }

    private void structural(String name, int length, CryptoException.Reason... more) {
        EnumSet<CryptoException.Reason> allowed = EnumSet.copyOf(STRUCTURE);
        allowed.addAll(List.of(more));
        fields.add(new Field(name, pos, length, allowed));
        pos += length;
    }

    private int u16At(int at) {
        return ((data[at] & 0xFF) << 8) | (data[at + 1] & 0xFF);
    }

    /**
     * The identity's fields. {@code keyDamage} is what a changed key causes: where the identity's fingerprint
     * or the transcript is signed, BAD_SIGNATURE; where only the transcript binds it, DECRYPT_FAILED.
     */
    private void identity(String who, CryptoException.Reason keyDamage) {
        field(who + " identity version", 1, UNKNOWN_VERSION);
        field(who + " X25519 type", 1, WRONG_KEY_TYPE);
        field(who + " X25519 key", 32, keyDamage, LOW_ORDER_POINT);
        field(who + " Ed25519 type", 1, WRONG_KEY_TYPE);
        field(who + " Ed25519 key", 32, keyDamage);
        field(who + " Falcon type", 1, WRONG_KEY_TYPE);
        field(who + " Falcon header", 1, BAD_ENCODING);
        field(who + " Falcon key", Falcon1024.PUBLIC_KEY_LENGTH - 1, keyDamage);
    }

    private void hybridSignature(String what) {
        field(what + " Ed25519 signature", 64, BAD_SIGNATURE);
        int falconLength = u16At(pos);
        structural(what + " Falcon length", 2);
        field(what + " Falcon signature", falconLength, BAD_SIGNATURE);
    }

    /** A bundle as an initiator receives it; the responder answers with the bundle it really offered. */
    static WireLayout bundle(byte[] encoded) {
        WireLayout l = new WireLayout(encoded);
        l.field("bundle version", 1, UNKNOWN_VERSION);
        l.identity("responder", BAD_SIGNATURE);
        l.field("SPK kind", 1, BAD_ENCODING);
        l.field("SPK id", 4, BAD_SIGNATURE, BAD_ENCODING);
        l.field("SPK created", 8, BAD_SIGNATURE, STALE_PREKEY, BAD_ENCODING);
        l.field("SPK type", 1, WRONG_KEY_TYPE);
        l.field("SPK key", 32, BAD_SIGNATURE);
        l.hybridSignature("SPK");
        int flags = encoded[l.pos] & 0xFF;
        // The flags decide whether the KEM prekey is part of what the signed prekey's signature covers.
        l.structural("bundle flags", 1, MISSING_PREKEY, BAD_SIGNATURE);
        if ((flags & 0x01) != 0) {
            l.field("KEM kind", 1, BAD_SIGNATURE, BAD_ENCODING);
            l.field("KEM id", 4, BAD_SIGNATURE, BAD_ENCODING);
            l.field("KEM created", 8, BAD_SIGNATURE, STALE_PREKEY, BAD_ENCODING);
            l.field("KEM type", 1, WRONG_KEY_TYPE);
            // A changed ML-KEM key may fail the modulus check while parsing, or else the signed prekey's
            // signature, which covers the KEM prekey.
            l.field("KEM key", MlKem1024.PUBLIC_KEY_LENGTH, BAD_SIGNATURE, BAD_ENCODING);
        }
        if ((flags & 0x02) != 0) {
            // Unsigned: a changed id is refused by the responder; a changed key by the initiator's transcript
            // signature (QUANTUM_RESISTANT) or by key confirmation.
            l.field("OPK id", 4, UNKNOWN_PREKEY, BAD_ENCODING);
            l.field("OPK type", 1, WRONG_KEY_TYPE);
            l.field("OPK key", 32, BAD_SIGNATURE, DECRYPT_FAILED, LOW_ORDER_POINT);
        }
        l.checkComplete();
        return l;
    }

    /** An initial message as the responder receives it. */
    static WireLayout initialMessage(byte[] encoded, SecurityLevel level) {
        WireLayout l = new WireLayout(encoded);
        boolean signed = level.requiresFalconSignatures();
        CryptoException.Reason keyDamage = signed ? BAD_SIGNATURE : DECRYPT_FAILED;
        l.field("message version", 1, UNKNOWN_VERSION);
        l.structural("level", 1, DOWNGRADE);
        l.field("recipient", 32, IDENTITY_MISMATCH);
        l.identity("initiator", keyDamage);
        l.field("ephemeral type", 1, WRONG_KEY_TYPE);
        l.field("ephemeral key", 32, keyDamage, LOW_ORDER_POINT);
        l.field("SPK id", 4, UNKNOWN_PREKEY, BAD_ENCODING);
        boolean oneTime = (encoded[l.pos] & 0x01) != 0;
        l.structural("message flags", 1, UNKNOWN_PREKEY);
        if (oneTime) {
            l.field("OPK id", 4, UNKNOWN_PREKEY, BAD_ENCODING);
        }
        if (level.usesKemPreKey()) {
            l.field("KEM id", 4, UNKNOWN_PREKEY, BAD_ENCODING);
            l.field("KEM ciphertext", MlKem1024.CIPHERTEXT_LENGTH, keyDamage);
        }
        if (signed) {
            l.hybridSignature("initiator transcript");
        }
        l.structural("payload length", 4);
        l.field("payload ciphertext", encoded.length - l.pos, DECRYPT_FAILED);
        l.checkComplete();
        return l;
    }

    private void checkComplete() {
        if (pos != data.length) {
            throw new AssertionError("layout covers " + pos + " of " + data.length + " bytes");
        }
    }
}

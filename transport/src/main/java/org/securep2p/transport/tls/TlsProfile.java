package org.securep2p.transport.tls;

import java.util.Vector;

import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.ProtocolName;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCrypto;
import org.securep2p.crypto.SecurityLevel;

/**
 * The one TLS configuration each security level allows, on both sides (docs/PROTOCOL.md section 12): TLS 1.3
 * only, TLS_CHACHA20_POLY1305_SHA256 only, Ed25519 signatures only, one key-exchange group per level, and an
 * ALPN name that carries the level so that peers at different levels never agree. There is nothing to
 * negotiate: a peer offers exactly this or the handshake fails.
 */
final class TlsProfile {

    static final ProtocolVersion[] VERSIONS = ProtocolVersion.TLSv13.only();
    static final int CIPHER_SUITE = CipherSuite.TLS_CHACHA20_POLY1305_SHA256;
    static final String VERSION_NAME = "TLSv1.3";
    static final String CIPHER_SUITE_NAME = "TLS_CHACHA20_POLY1305_SHA256";
    /** Every ALPN name of ours starts with this; what follows is the level's name. */
    static final String ALPN_PREFIX = "securep2p/1/";
    /**
     * Certificates are about 2.3 KB and the largest other handshake message (a hybrid ClientHello) about
     * 1.5 KB; BC's default of 32 KB would let a peer make us buffer far more than any valid message needs.
     */
    static final int MAX_HANDSHAKE_MESSAGE = 16 * 1024;

    private TlsProfile() {
    }

    /** x25519 at STANDARD and ENHANCED; the hybrid X25519MLKEM768 where the level asks for a hybrid share. */
    static int namedGroup(SecurityLevel level) {
        return level.hybridTlsKeyShare() ? NamedGroup.X25519MLKEM768 : NamedGroup.x25519;
    }

    /** "x25519" or "X25519MLKEM768", the IANA names. */
    static String groupName(int namedGroup) {
        String name = NamedGroup.getName(namedGroup);
        return name != null ? name : String.format("0x%04X", namedGroup);
    }

    static String cipherSuiteName(int cipherSuite) {
        return cipherSuite == CIPHER_SUITE ? CIPHER_SUITE_NAME : String.format("0x%04X", cipherSuite);
    }

    static String versionName(ProtocolVersion version) {
        return ProtocolVersion.TLSv13.equals(version) ? VERSION_NAME : String.valueOf(version);
    }

    static ProtocolName alpn(SecurityLevel level) {
        return ProtocolName.asUtf8Encoding(ALPN_PREFIX + level.name());
    }

    /** The level an ALPN name of ours stands for, or null if it is not one of ours. */
    static SecurityLevel levelOf(ProtocolName name) {
        for (SecurityLevel level : SecurityLevel.values()) {
            if (alpn(level).equals(name)) {
                return level;
            }
        }
        return null;
    }

    /** Hybrid groups are supported when both halves are: {@code crypto.hasNamedGroup} alone says no to them. */
    static boolean supports(TlsCrypto crypto, SecurityLevel level) {
        return TlsUtils.isSupportedNamedGroup(crypto, namedGroup(level));
    }

    @SuppressWarnings({"rawtypes", "unchecked", "JdkObsolete"}) // Bouncy Castle's TLS API takes raw Vectors.
    static Vector signatureAlgorithms() {
        Vector v = new Vector(1);
        v.addElement(SignatureAndHashAlgorithm.ed25519);
        return v;
    }

    @SuppressWarnings({"rawtypes", "unchecked", "JdkObsolete"}) // the same
    static Vector vectorOf(Object element) {
        Vector v = new Vector(1);
        v.addElement(element);
        return v;
    }
}

package org.securep2p.relay;

import java.io.IOException;
import java.net.Socket;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.IdentityHashMap;
import java.util.Objects;
import java.util.Optional;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

import org.bouncycastle.asn1.x509.Certificate;

/**
 * The client side of the relay's pinning (PROTOCOL.md §22.2): a TLS 1.3 context ({@link RelayTlsProfile}) that
 * accepts exactly one server key, the one whose SubjectPublicKeyInfo hashes (SHA-256) to the address's
 * fingerprint, compared in constant time. No CA, no host name, no validity dates: the address is the trust. A
 * relay presenting any other key fails the handshake with a {@link WrongRelayKeyException} somewhere in the cause
 * chain, which {@link #isWrongRelayKey} finds. Not its job: connecting, or what a caller does about the refusal.
 */
public final class PinnedTrust {

    private PinnedTrust() {
    }

    /** A client context that trusts only the relay key named by {@code address}. */
    public static SSLContext clientContext(RelayAddress address, SecureRandom random) {
        return clientContext(address, random, Optional.empty());
    }

    /**
     * The same, presenting {@code member}'s certificate when the relay asks for one (an organisation relay,
     * §23.2); an open relay does not ask. The pin is unchanged.
     */
    public static SSLContext clientContext(RelayAddress address, SecureRandom random,
            Optional<MemberCredential> member) {
        Objects.requireNonNull(address, "address");
        KeyManager[] keys = member.map(m -> new KeyManager[] {new MemberKeyManager(m)}).orElse(null);
        return RelayTlsProfile.context(keys, new TrustManager[] {trustManager(address)}, random);
    }

    /** The pinning trust manager alone (tests put it in contexts of other groups). */
    static X509ExtendedTrustManager trustManager(RelayAddress address) {
        return new PinnedTrustManager(address);
    }

    /** SHA-256 of {@code certificate}'s DER SubjectPublicKeyInfo: the relay fingerprint of §22.2. */
    public static byte[] fingerprint(X509Certificate certificate) throws CertificateEncodingException {
        byte[] spki;
        try {
            spki = Certificate.getInstance(certificate.getEncoded()).getSubjectPublicKeyInfo().getEncoded("DER");
        } catch (IOException | IllegalArgumentException e) {
            throw new CertificateEncodingException("the certificate's key does not encode", e);
        }
        try {
            return MessageDigest.getInstance("SHA-256").digest(spki);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }

    /** Whether {@code failure} (a connect's exception) is, anywhere in its causes, a relay that showed another key. */
    public static boolean isWrongRelayKey(Throwable failure) {
        IdentityHashMap<Throwable, Boolean> seen = new IdentityHashMap<>();
        java.util.ArrayDeque<Throwable> todo = new java.util.ArrayDeque<>();
        if (failure != null) {
            todo.add(failure);
        }
        while (!todo.isEmpty()) {
            Throwable t = todo.poll();
            if (seen.put(t, Boolean.TRUE) != null) {
                continue;
            }
            if (t instanceof WrongRelayKeyException) {
                return true;
            }
            if (t.getCause() != null) {
                todo.add(t.getCause());
            }
            for (Throwable s : t.getSuppressed()) {
                todo.add(s);
            }
        }
        return false;
    }

    /** The handshake met a relay key other than the pinned one (the client's {@code WRONG_RELAY_KEY}). */
    public static final class WrongRelayKeyException extends CertificateException {
        private static final long serialVersionUID = 1L;

        WrongRelayKeyException(RelayAddress address) {
            super("the relay at " + address.host() + ":" + address.port()
                    + " presented another key than the one in its address");
        }
    }

    private static final class PinnedTrustManager extends X509ExtendedTrustManager {
        private final RelayAddress address;

        PinnedTrustManager(RelayAddress address) {
            this.address = address;
        }

        private void check(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length == 0 || !address.matches(fingerprint(chain[0]))) {
                throw new WrongRelayKeyException(address);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            check(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a relay client trusts no client");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("a relay client trusts no client");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("a relay client trusts no client");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}

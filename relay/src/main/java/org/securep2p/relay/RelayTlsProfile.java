package org.securep2p.relay;

import java.net.InetAddress;
import java.net.Socket;
import java.security.KeyManagementException;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.SecureRandom;
import java.util.List;
import java.util.Objects;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.jsse.BCSSLEngine;
import org.bouncycastle.jsse.BCSSLParameters;
import org.bouncycastle.jsse.BCSSLSocket;
import org.bouncycastle.jsse.provider.BouncyCastleJsseProvider;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCryptoProvider;

/**
 * The relay's TLS profile (PROTOCOL.md §22.2), the same on both sides: Bouncy Castle's JSSE provider (held here,
 * never installed as a JVM provider), TLS 1.3 only, the suites {@link #CIPHER_SUITES} and the groups
 * {@link #NAMED_GROUPS} in that order. Every engine and socket an {@link SSLContext} of {@link #context} creates
 * already carries the profile, so a caller (Jetty) cannot forget it. Java 17's {@code SSLParameters} has no named
 * groups, so they are set through BC's own {@link BCSSLParameters}; Jetty's later {@code setSSLParameters} leaves
 * them as they are. Not its job: which key is trusted ({@link PinnedTrust}) or presented (the relay's identity).
 */
public final class RelayTlsProfile {

    public static final List<String> PROTOCOLS = List.of("TLSv1.3");
    public static final List<String> CIPHER_SUITES = List.of("TLS_CHACHA20_POLY1305_SHA256",
            "TLS_AES_256_GCM_SHA384");
    /** The hybrid first (a quantum-resistant key exchange whenever the peer offers it), x25519 for the others. */
    public static final List<String> NAMED_GROUPS = List.of("X25519MLKEM768", "x25519");

    /**
     * BC's JSSE over BC's JCA provider, with {@link DelegatedSigning#PROVIDER} as the alternate that BC's TLS crypto
     * tries only when BC's own provider refuses a private key: a member's key held by the key manager (§23.2).
     */
    private static final Provider JSSE = new BouncyCastleJsseProvider(false, new JcaTlsCryptoProvider()
            .setProvider(new BouncyCastleProvider()).setAlternateProvider(DelegatedSigning.PROVIDER));

    private RelayTlsProfile() {
    }

    /** A TLS 1.3 context of this profile over {@code keyManagers} and {@code trustManagers}. */
    public static SSLContext context(KeyManager[] keyManagers, TrustManager[] trustManagers, SecureRandom random) {
        return context(keyManagers, trustManagers, random, NAMED_GROUPS);
    }

    /**
     * The same with other groups: only for tests that must show what a peer offering fewer groups gets
     * (the relay always uses {@link #NAMED_GROUPS}).
     */
    public static SSLContext context(KeyManager[] keyManagers, TrustManager[] trustManagers, SecureRandom random,
            List<String> namedGroups) {
        Objects.requireNonNull(random, "random");
        try {
            SSLContext bc = SSLContext.getInstance("TLSv1.3", JSSE);
            bc.init(keyManagers, trustManagers, random);
            return new ProfiledContext(new ProfiledSpi(bc, List.copyOf(namedGroups)), JSSE);
        } catch (NoSuchAlgorithmException | KeyManagementException e) {
            throw new IllegalStateException("Bouncy Castle's JSSE provider has no TLS 1.3", e);
        }
    }

    private static final class ProfiledContext extends SSLContext {
        ProfiledContext(SSLContextSpi spi, Provider provider) {
            super(spi, provider, "TLSv1.3");
        }
    }

    /** Delegates to BC's context and puts the profile on each engine and socket it makes. */
    private static final class ProfiledSpi extends SSLContextSpi {
        private final SSLContext bc;
        private final List<String> groups;

        ProfiledSpi(SSLContext bc, List<String> groups) {
            this.bc = bc;
            this.groups = groups;
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) {
            // Initialised once, in context(); a second init would bypass the profile's choice of managers.
            throw new UnsupportedOperationException("a relay TLS context is initialised once");
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            return new ProfiledSocketFactory(bc.getSocketFactory(), this);
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            throw new UnsupportedOperationException("the relay serves through Jetty's engines");
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return apply(bc.createSSLEngine());
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            return apply(bc.createSSLEngine(host, port));
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return bc.getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return bc.getClientSessionContext();
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
            return restrict(bc.getDefaultSSLParameters());
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
            return restrict(bc.getSupportedSSLParameters());
        }

        private static SSLParameters restrict(SSLParameters p) {
            p.setProtocols(PROTOCOLS.toArray(String[]::new));
            p.setCipherSuites(CIPHER_SUITES.toArray(String[]::new));
            return p;
        }

        SSLEngine apply(SSLEngine engine) {
            BCSSLEngine e = (BCSSLEngine) engine;
            e.setParameters(profile(e.getParameters()));
            return engine;
        }

        SSLSocket apply(Socket socket) {
            BCSSLSocket s = (BCSSLSocket) socket;
            s.setParameters(profile(s.getParameters()));
            return (SSLSocket) socket;
        }

        private BCSSLParameters profile(BCSSLParameters p) {
            p.setProtocols(PROTOCOLS.toArray(String[]::new));
            p.setCipherSuites(CIPHER_SUITES.toArray(String[]::new));
            p.setNamedGroups(groups.toArray(String[]::new));
            p.setUseNamedGroupsOrder(true);
            return p;
        }
    }

    private static final class ProfiledSocketFactory extends SSLSocketFactory {
        private final SSLSocketFactory bc;
        private final ProfiledSpi spi;

        ProfiledSocketFactory(SSLSocketFactory bc, ProfiledSpi spi) {
            this.bc = bc;
            this.spi = spi;
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return CIPHER_SUITES.toArray(String[]::new);
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return CIPHER_SUITES.toArray(String[]::new);
        }

        @Override
        public Socket createSocket() throws java.io.IOException {
            return spi.apply(bc.createSocket());
        }

        @Override
        public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws java.io.IOException {
            return spi.apply(bc.createSocket(s, host, port, autoClose));
        }

        @Override
        public Socket createSocket(String host, int port) throws java.io.IOException {
            return spi.apply(bc.createSocket(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
                throws java.io.IOException {
            return spi.apply(bc.createSocket(host, port, localHost, localPort));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws java.io.IOException {
            return spi.apply(bc.createSocket(host, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
                throws java.io.IOException {
            return spi.apply(bc.createSocket(address, port, localAddress, localPort));
        }
    }
}

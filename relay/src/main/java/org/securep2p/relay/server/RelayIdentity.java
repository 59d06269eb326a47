package org.securep2p.relay.server;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyInfoFactory;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;
import org.securep2p.relay.PinnedTrust;
import org.securep2p.relay.RelayTlsProfile;

/**
 * The relay's TLS identity (PROTOCOL.md §22.2): an Ed25519 key made at first start and a self-signed certificate
 * for it, kept in the data folder as {@value #KEY_FILE} (PKCS#8 PEM, 0600) and {@value #CERT_FILE}. The
 * {@link #fingerprint()} (SHA-256 of the certificate's SubjectPublicKeyInfo) is what a relay address pins, so it
 * never changes while the key file stays. A key file that cannot be read, is readable by others, does not parse,
 * or does not match the certificate is refused with a sentence, never replaced. Not its job: listening.
 */
public final class RelayIdentity {

    public static final String KEY_FILE = "relay-key.pem";
    public static final String CERT_FILE = "relay.crt";
    static final String SUBJECT = "CN=securep2p relay";
    static final Duration VALIDITY = Duration.ofDays(3653);

    private static final Set<PosixFilePermission> PRIVATE_FILE = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE);
    private static final Set<PosixFilePermission> PRIVATE_DIR = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);
    private static final BouncyCastleProvider BC = new BouncyCastleProvider();

    private final PrivateKey key;
    private final X509Certificate certificate;
    private final byte[] fingerprint;

    private RelayIdentity(PrivateKey key, X509Certificate certificate) throws IOException {
        this.key = key;
        this.certificate = certificate;
        try {
            this.fingerprint = PinnedTrust.fingerprint(certificate);
        } catch (GeneralSecurityException e) {
            throw new IOException("The relay certificate's key does not encode.", e);
        }
    }

    /**
     * The identity in {@code dataDir}, made there (with the folder, 0700) at the first start. A key without its
     * certificate (a crash between the two writes) gets a new certificate for the same key, so the fingerprint
     * stays; a certificate without its key is refused.
     */
    public static RelayIdentity loadOrCreate(Path dataDir, SecureRandom random, Clock clock) throws IOException {
        Objects.requireNonNull(random, "random");
        ensurePrivateDirectory(dataDir);
        Path keyFile = dataDir.resolve(KEY_FILE);
        Path certFile = dataDir.resolve(CERT_FILE);
        if (!Files.exists(keyFile)) {
            if (Files.exists(certFile)) {
                throw new IOException("The relay has a certificate " + certFile + " but no key " + keyFile
                        + ": restore the key (clients pin it) or remove both to make a new relay address.");
            }
            byte[] seed = new byte[Ed25519PrivateKeyParameters.KEY_SIZE];
            random.nextBytes(seed);
            byte[] pkcs8 = PrivateKeyInfoFactory.createPrivateKeyInfo(new Ed25519PrivateKeyParameters(seed))
                    .getEncoded("DER");
            Arrays.fill(seed, (byte) 0);
            try {
                writeAtomically(keyFile, pem("PRIVATE KEY", pkcs8), true);
            } finally {
                Arrays.fill(pkcs8, (byte) 0);
            }
        }
        PrivateKey key = readKey(keyFile);
        X509Certificate cert;
        if (Files.exists(certFile)) {
            cert = readCertificate(certFile);
        } else {
            cert = selfSign(key, random, clock);
            try {
                writeAtomically(certFile, pem("CERTIFICATE", cert.getEncoded()), false);
            } catch (GeneralSecurityException e) {
                throw new IOException("The relay certificate does not encode.", e);
            }
        }
        try {
            // The certificate must be for this key: a swapped file would make clients pin a key nobody holds.
            cert.verify(cert.getPublicKey(), BC);
            byte[] probe = "securep2p/v1/relay/identity-check".getBytes(StandardCharsets.US_ASCII);
            java.security.Signature s = java.security.Signature.getInstance("Ed25519", BC);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            s.initVerify(cert.getPublicKey());
            s.update(probe);
            if (!s.verify(sig)) {
                throw new IOException("The relay certificate " + certFile + " is not for the key " + keyFile
                        + ": remove the certificate and start again (it is remade from the key).");
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("The relay certificate " + certFile + " is not a valid self-signed Ed25519 "
                    + "certificate: remove it and start again (it is remade from the key).", e);
        }
        return new RelayIdentity(key, cert);
    }

    /** SHA-256 of the certificate's DER SubjectPublicKeyInfo (a copy). */
    public byte[] fingerprint() {
        return fingerprint.clone();
    }

    /** The fingerprint in 64 lower-case hex digits, as in the relay's address. */
    public String fingerprintHex() {
        return HexFormat.of().formatHex(fingerprint);
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** A server TLS context of the relay's profile ({@link RelayTlsProfile}) presenting this identity. */
    public SSLContext serverContext(SecureRandom random) {
        return RelayTlsProfile.context(new KeyManager[] {new OneKeyManager(key, certificate)}, null, random);
    }

    /** The same, judging client certificates with {@code clientTrust} (an organisation relay, §23.1). */
    SSLContext serverContext(SecureRandom random, javax.net.ssl.TrustManager clientTrust) {
        return RelayTlsProfile.context(new KeyManager[] {new OneKeyManager(key, certificate)},
                new javax.net.ssl.TrustManager[] {clientTrust}, random);
    }

    @Override
    public String toString() {
        return "RelayIdentity[" + fingerprintHex() + "]";
    }

    static void ensurePrivateDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
            Files.setPosixFilePermissions(dir, PRIVATE_DIR); // the umask may have narrowed what createDirectories set
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir);
        if (!PRIVATE_DIR.containsAll(perms)) {
            throw new IOException("The relay data folder " + dir + " is open to other users (" +
                    PosixFilePermissions.toString(perms) + "): run chmod 700 on it.");
        }
    }

    private static PrivateKey readKey(Path keyFile) throws IOException {
        Set<PosixFilePermission> perms;
        String text;
        try {
            perms = Files.getPosixFilePermissions(keyFile);
            text = Files.readString(keyFile, StandardCharsets.US_ASCII);
        } catch (AccessDeniedException | NoSuchFileException e) {
            throw new IOException("The relay key " + keyFile + " cannot be read: check its owner and mode 600.", e);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw corruptKey(keyFile, e);
        }
        if (!PRIVATE_FILE.containsAll(perms)) {
            throw new IOException("The relay key " + keyFile + " is readable by others ("
                    + PosixFilePermissions.toString(perms) + "): run chmod 600 on it.");
        }
        byte[] der = null;
        try {
            PemObject o = new PemReader(new StringReader(text)).readPemObject();
            if (o == null || !"PRIVATE KEY".equals(o.getType())) {
                throw corruptKey(keyFile, null);
            }
            der = o.getContent();
            PrivateKeyInfo info = PrivateKeyInfo.getInstance(der);
            if (!info.getPrivateKeyAlgorithm().getAlgorithm()
                    .equals(org.bouncycastle.asn1.edec.EdECObjectIdentifiers.id_Ed25519)) {
                throw corruptKey(keyFile, null);
            }
            return KeyFactory.getInstance("Ed25519", BC).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            if (e instanceof IOException io && io.getMessage() != null && io.getMessage().startsWith("The relay")) {
                throw io;
            }
            throw corruptKey(keyFile, e);
        } finally {
            if (der != null) {
                Arrays.fill(der, (byte) 0);
            }
        }
    }

    private static IOException corruptKey(Path keyFile, Exception cause) {
        return new IOException("The relay key " + keyFile + " is not an Ed25519 PKCS#8 PEM key: restore it from "
                + "a backup (clients pin it) or remove it and " + CERT_FILE + " to make a new relay address.", cause);
    }

    private static X509Certificate readCertificate(Path certFile) throws IOException {
        try {
            PemObject o = new PemReader(new StringReader(Files.readString(certFile, StandardCharsets.US_ASCII)))
                    .readPemObject();
            if (o == null || !"CERTIFICATE".equals(o.getType())) {
                throw new IOException("no PEM certificate");
            }
            return (X509Certificate) CertificateFactory.getInstance("X.509", BC)
                    .generateCertificate(new ByteArrayInputStream(o.getContent()));
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new IOException("The relay certificate " + certFile + " cannot be read as a PEM certificate: "
                    + "remove it and start again (it is remade from the key).", e);
        }
    }

    private static X509Certificate selfSign(PrivateKey key, SecureRandom random, Clock clock) throws IOException {
        try {
            java.security.PublicKey pub = KeyFactory.getInstance("Ed25519", BC).generatePublic(
                    new java.security.spec.X509EncodedKeySpec(
                            ((org.bouncycastle.jcajce.interfaces.EdDSAPrivateKey) key).getPublicKey().getEncoded()));
            Instant now = clock.instant();
            byte[] serial = new byte[16];
            random.nextBytes(serial);
            X500Name name = new X500Name(SUBJECT);
            X509CertificateHolder holder = new JcaX509v3CertificateBuilder(name, new BigInteger(1, serial),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(VALIDITY)), name, pub)
                    .build(new JcaContentSignerBuilder("Ed25519").setProvider(BC).build(key));
            return (X509Certificate) CertificateFactory.getInstance("X.509", BC)
                    .generateCertificate(new ByteArrayInputStream(holder.getEncoded()));
        } catch (GeneralSecurityException | OperatorCreationException | ClassCastException e) {
            throw new IOException("The relay could not make its certificate.", e);
        }
    }

    private static byte[] pem(String type, byte[] der) throws IOException {
        StringWriter w = new StringWriter();
        try (PemWriter pw = new PemWriter(w)) {
            pw.writeObject(new PemObject(type, der));
        }
        return w.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Writes {@code content} to a new file beside {@code target}, syncs it, then renames it into place. */
    private static void writeAtomically(Path target, byte[] content, boolean secret) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(secret ? PRIVATE_FILE
                        : PosixFilePermissions.fromString("rw-r--r--")))) {
            ByteBuffer b = ByteBuffer.wrap(content);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        } finally {
            if (secret) {
                Arrays.fill(content, (byte) 0);
            }
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel dir = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    /** Presents the one key and certificate, whatever the handshake asks. */
    private static final class OneKeyManager extends X509ExtendedKeyManager {
        private static final String ALIAS = "relay";
        private final PrivateKey key;
        private final X509Certificate certificate;

        OneKeyManager(PrivateKey key, X509Certificate certificate) {
            this.key = key;
            this.certificate = certificate;
        }

        private static String aliasFor(String keyType) {
            return keyType != null && (keyType.equalsIgnoreCase("Ed25519") || keyType.equalsIgnoreCase("EdDSA"))
                    ? ALIAS : null;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            String a = aliasFor(keyType);
            return a == null ? null : new String[] {a};
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return aliasFor(keyType);
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return aliasFor(keyType);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return ALIAS.equals(alias) ? new X509Certificate[] {certificate} : null;
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return ALIAS.equals(alias) ? key : null;
        }
    }
}

package org.securep2p.keymanager;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The key-manager child's class-data-sharing archive (the JDK's AppCDS; PROTOCOL.md 18, start-up): the classes
 * a start loads from the jars (those of a signed jar excepted: the JDK never archives them; the app's build
 * strips the signature files for this reason), already parsed and verified, mapped from one file instead of being read from the jars at each
 * start. It is made by the first child that runs without one ({@code -XX:ArchiveClassesAtExit}: the JDK writes
 * the archive when that child exits) and used by every later child ({@code -XX:SharedArchiveFile}).
 *
 * <p>Guarantees: the archive lives beside the application's jars and is named after what it was made from (the
 * Java runtime, and each class-path jar's path, size and modification time), so a rebuild or another JDK makes a
 * new one and never uses a stale one (the JDK checks again and ignores an archive that does not match). Only a
 * complete archive ever has that name: the child writes to a temporary file, which is renamed only after the
 * child exited normally; an interrupted write is deleted. Nothing about the archive can stop a start: a missing,
 * unreadable or refused archive only means a slower start. It is as trustworthy as the jars beside it, because
 * whoever can write one can write the other.
 *
 * <p>Each {@link Variant} of start has its own archive, made by a start of that variant: every class in an
 * archive costs resident memory in every child that maps it, used or not (the JDK relocates the whole archive at
 * each start), so a passphrase-protected child does not map the D-Bus and keyring classes a keyring start loads
 * (PROTOCOL.md 18, memory). Making one variant's archive never removes another's.
 *
 * <p>Not used when the class path has a directory (tests run from {@code target/classes}, which the JDK cannot
 * archive) or the jars' directory is not writable.
 */
final class ClassDataArchive {

    static final String PREFIX = "keymanager-";
    static final String SUFFIX = ".jsa";
    private static final String PARTIAL = ".partial-";
    /** An archive's name: the prefix, the variant's part, 24 hex digits of the hash, the suffix. */
    private static final Pattern NAME = Pattern.compile("keymanager-((?:[a-z]+-)?)[0-9a-f]{24}\\.jsa");

    /** Which starts share one archive (the variant is part of its name and of the hash). */
    enum Variant {
        /** A child without a key directory (tests); the name has no variant part. */
        ANY(""),
        /** A restore whose master key is in the OS keyring. */
        KEYRING("keyring-"),
        /** A restore whose master key is protected by a passphrase. */
        PASSPHRASE("passphrase-");

        private final String namePart;

        Variant(String namePart) {
            this.namePart = namePart;
        }
    }

    /** A partial archive this old was left by a process that died; a live dump takes seconds. */
    private static final Duration ABANDONED = Duration.ofMinutes(10);

    private final Path archive;
    private final Path partial;
    private final boolean exists;

    private ClassDataArchive(Path archive, Path partial, boolean exists) {
        this.archive = archive;
        this.partial = partial;
        this.exists = exists;
    }

    /**
     * The archive for a child started with {@code classPath} by the Java runtime at {@code javaHome}, or empty
     * where there can be none (see the class comment).
     */
    static Optional<ClassDataArchive> forClassPath(String classPath, String javaHome, String vmVersion,
            SecureRandom random) {
        return forClassPath(classPath, javaHome, vmVersion, Variant.ANY, random);
    }

    /** As above, the archive of {@code variant}'s starts. */
    static Optional<ClassDataArchive> forClassPath(String classPath, String javaHome, String vmVersion,
            Variant variant, SecureRandom random) {
        if (classPath == null || classPath.isEmpty()) {
            return Optional.empty();
        }
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            update(digest, javaHome);
            update(digest, vmVersion);
            update(digest, variant.name());
            Path directory = null;
            // Limit -1: a trailing empty entry (the working directory, to the JVM) is kept, so it refuses the archive.
            for (String entry : classPath.split(java.io.File.pathSeparator, -1)) {
                Path jar = Path.of(entry).toAbsolutePath();
                BasicFileAttributes attributes = Files.readAttributes(jar, BasicFileAttributes.class);
                if (!attributes.isRegularFile() || !jar.getFileName().toString().endsWith(".jar")) {
                    return Optional.empty();
                }
                if (directory == null) {
                    directory = jar.getParent();
                }
                update(digest, jar.toString());
                update(digest, Long.toString(attributes.size()));
                update(digest, Long.toString(attributes.lastModifiedTime().toMillis()));
                // The app jar names its libraries in its manifest; a rebuild rewrites them while the app jar may stay
                // as it was, and an archive named after the app jar alone would then be refused at every start.
                for (Path library : manifestClassPath(jar)) {
                    update(digest, library.toString());
                    if (Files.isRegularFile(library)) {
                        BasicFileAttributes l = Files.readAttributes(library, BasicFileAttributes.class);
                        update(digest, Long.toString(l.size()));
                        update(digest, Long.toString(l.lastModifiedTime().toMillis()));
                    }
                }
            }
            if (directory == null || !Files.isWritable(directory)) {
                return Optional.empty();
            }
            String name = PREFIX + variant.namePart + HexFormat.of().formatHex(digest.digest(), 0, 12) + SUFFIX;
            Path archive = directory.resolve(name);
            byte[] tag = new byte[8];
            random.nextBytes(tag);
            Path partial = directory.resolve(name + PARTIAL + HexFormat.of().formatHex(tag));
            return Optional.of(new ClassDataArchive(archive, partial,
                    Files.isRegularFile(archive, LinkOption.NOFOLLOW_LINKS)));
        } catch (IOException | RuntimeException | NoSuchAlgorithmException e) {
            // A class-path entry that is gone or unreadable: the child will say so itself; no archive.
            return Optional.empty();
        }
    }

    /** The jars {@code jar}'s manifest adds to the class path (relative to its folder); none if it has no manifest. */
    private static List<Path> manifestClassPath(Path jar) {
        try (java.util.jar.JarFile file = new java.util.jar.JarFile(jar.toFile(), false)) {
            java.util.jar.Manifest manifest = file.getManifest();
            String value = manifest == null ? null
                    : manifest.getMainAttributes().getValue(java.util.jar.Attributes.Name.CLASS_PATH);
            List<Path> out = new ArrayList<>();
            if (value != null) {
                for (String entry : value.trim().split("\\s+", -1)) {
                    if (!entry.isEmpty()) {
                        out.add(jar.getParent().resolve(entry).normalize());
                    }
                }
            }
            return out;
        } catch (IOException | RuntimeException e) {
            // Not a zip (or unreadable): the JVM reads no manifest class path from it either.
            return List.of();
        }
    }

    /** The child's JVM options: use the archive, or make it at exit. */
    List<String> jvmOptions() {
        List<String> options = new ArrayList<>();
        if (exists) {
            options.add("-XX:SharedArchiveFile=" + archive);
            // Checksums of every mapped region: a damaged archive is refused (a slower start), never run.
            options.add("-XX:+VerifySharedSpaces");
        } else {
            options.add("-XX:ArchiveClassesAtExit=" + partial);
            // The dump lists each class it leaves out (Bouncy Castle's, from a signed jar) as a warning.
            options.add("-Xlog:cds*=error:stderr");
        }
        return options;
    }

    /** Whether this child makes the archive (rather than using it). */
    boolean makes() {
        return !exists;
    }

    Path path() {
        return archive;
    }

    /**
     * After the child ended: if it made the archive and exited normally, the archive takes its name (atomically;
     * older archives in the directory are removed), otherwise the partial file is deleted.
     */
    void childEnded(boolean exitedNormally) {
        if (exists) {
            return;
        }
        try {
            if (exitedNormally && Files.isRegularFile(partial, LinkOption.NOFOLLOW_LINKS) && Files.size(partial) > 0) {
                try {
                    Files.move(partial, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    return;
                }
                removeOthers();
            }
        } catch (IOException | RuntimeException e) {
            // Next start makes another attempt.
        } finally {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException ignored) {
                // A leftover partial file is removed by a later start once abandoned.
            }
        }
    }

    /**
     * This variant's archives made from other jars or another JDK (and any other name ending in {@link #SUFFIX}),
     * and abandoned partial files. Another variant's archive stays.
     */
    private void removeOthers() throws IOException {
        Instant abandoned = Instant.now().minus(ABANDONED);
        String variant = variantPart(archive.getFileName().toString());
        try (DirectoryStream<Path> files = Files.newDirectoryStream(archive.getParent(), PREFIX + "*")) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (file.equals(archive) || !name.contains(SUFFIX)) {
                    continue;
                }
                if (name.endsWith(SUFFIX) && variantPart(name) != null && !variantPart(name).equals(variant)) {
                    continue;
                }
                boolean stale = name.endsWith(SUFFIX)
                        || Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toInstant().isBefore(abandoned);
                if (stale) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    /** The variant's part of an archive's name ("" for {@link Variant#ANY}), or null for another name. */
    private static String variantPart(String name) {
        Matcher m = NAME.matcher(name);
        return m.matches() ? m.group(1) : null;
    }

    private static void update(MessageDigest digest, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        for (int shift = 24; shift >= 0; shift -= 8) {
            digest.update((byte) (bytes.length >>> shift));
        }
        digest.update(bytes);
    }

    @Override
    public String toString() {
        return "ClassDataArchive[" + archive + (exists ? "" : ", to be made") + "]";
    }
}

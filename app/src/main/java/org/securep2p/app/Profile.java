package org.securep2p.app;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;

import org.securep2p.crypto.SecurityLevel;

/** {@code profile.properties}: the username and the minimum level, nothing secret. Written atomically. */
final class Profile {

    private final Optional<String> username;
    private final Optional<SecurityLevel> level;

    private Profile(Optional<String> username, Optional<SecurityLevel> level) {
        this.username = username;
        this.level = level;
    }

    static Profile load(Path file) throws AppException {
        Optional<byte[]> bytes;
        try {
            bytes = AtomicFile.read(file, 64 * 1024);
        } catch (StoreException e) {
            throw new AppException(AppException.Reason.STORAGE_FAILED, "cannot read " + file + ": " + e.getMessage(), e);
        }
        if (bytes.isEmpty()) {
            return new Profile(Optional.empty(), Optional.empty());
        }
        Properties p = new Properties();
        try {
            p.load(new StringReader(new String(bytes.get(), StandardCharsets.UTF_8)));
        } catch (IOException | IllegalArgumentException e) {
            throw new AppException(AppException.Reason.STORAGE_FAILED, file + " is not a properties file", e);
        }
        Optional<String> name = Optional.ofNullable(p.getProperty("name")).filter(Profile::isValidUsername);
        Optional<SecurityLevel> level = Optional.empty();
        String l = p.getProperty("level");
        if (l != null) {
            try {
                level = Optional.of(SecurityLevel.valueOf(l.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new AppException(AppException.Reason.STORAGE_FAILED, file + ": unknown level '" + l + "'", e);
            }
        }
        return new Profile(name, level);
    }

    void save(Path file, String name, SecurityLevel floor) throws AppException {
        if (username.equals(Optional.of(name)) && level.equals(Optional.of(floor))) {
            return;
        }
        Properties p = new Properties();
        p.setProperty("name", name);
        p.setProperty("level", floor.name());
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try {
            p.store(new java.io.OutputStreamWriter(b, StandardCharsets.UTF_8), "securep2p profile");
            AtomicFile.write(file, b.toByteArray());
        } catch (IOException | StoreException e) {
            throw new AppException(AppException.Reason.STORAGE_FAILED, "cannot write " + file, e);
        }
    }

    Optional<String> username() {
        return username;
    }

    Optional<SecurityLevel> level() {
        return level;
    }

    static boolean isValidUsername(String name) {
        return name != null && !name.isBlank() && name.codePointCount(0, name.length()) <= 32
                && name.codePoints().noneMatch(cp -> Character.isISOControl(cp) || Character.getType(cp) == Character.FORMAT)
                && name.getBytes(StandardCharsets.UTF_8).length <= ChatFrame.MAX_USERNAME_BYTES;
    }
}

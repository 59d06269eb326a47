package org.securep2p.app;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;

import org.securep2p.app.store.AtomicFile;
import org.securep2p.app.store.StoreException;
import org.securep2p.crypto.SecurityLevel;

/**
 * {@code profile.properties}: the username, the minimum level and how peers are trusted ({@code trust}:
 * {@code codes}, or {@code ca:PATH} for organisation mode), nothing secret. Written atomically.
 */
final class Profile {

    /** The default trust setting: connection codes, and trust on first use for {@code host:port}. */
    static final String TRUST_CODES = "codes";
    static final String TRUST_CA_PREFIX = "ca:";
    /** How long the history keeps messages: {@code forever} (the default), a number of days, or {@code off}. */
    static final String HISTORY_RETENTION = "history.retention";

    private final Optional<String> username;
    private final Optional<SecurityLevel> level;
    private final Optional<String> trust;
    /** {@code history.retention} as written (forever, a number of days, off); checked where the history opens. */
    private final Optional<String> historyRetention;
    /** {@code tui.bell=true}: the TUI rings the terminal bell for a message in a conversation not on screen. */
    private final boolean tuiBell;

    private Profile(Optional<String> username, Optional<SecurityLevel> level, Optional<String> trust,
            Optional<String> historyRetention, boolean tuiBell) {
        this.username = username;
        this.level = level;
        this.trust = trust;
        this.historyRetention = historyRetention;
        this.tuiBell = tuiBell;
    }

    static Profile load(Path file) throws AppException {
        Optional<byte[]> bytes;
        try {
            bytes = AtomicFile.read(file, 64 * 1024);
        } catch (StoreException e) {
            throw new AppException(AppException.Reason.STORAGE_FAILED, "cannot read " + file + ": " + e.getMessage(), e);
        }
        if (bytes.isEmpty()) {
            return new Profile(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), false);
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
        String t = p.getProperty("trust");
        if (t != null && !isValidTrust(t.strip())) {
            throw new AppException(AppException.Reason.STORAGE_FAILED, file + ": trust must be '" + TRUST_CODES
                    + "' or 'ca:PATH', not '" + t + "'");
        }
        String bell = p.getProperty("tui.bell", "false").strip().toLowerCase(Locale.ROOT);
        if (!bell.equals("true") && !bell.equals("false")) {
            throw new AppException(AppException.Reason.STORAGE_FAILED, file + ": tui.bell must be true or false");
        }
        return new Profile(name, level, Optional.ofNullable(t).map(String::strip),
                Optional.ofNullable(p.getProperty(HISTORY_RETENTION)).map(String::strip), bell.equals("true"));
    }

    void save(Path file, String name, SecurityLevel floor, String trustSetting) throws AppException {
        if (username.equals(Optional.of(name)) && level.equals(Optional.of(floor))
                && trust.orElse(TRUST_CODES).equals(trustSetting)) {
            return;
        }
        Properties p = new Properties();
        p.setProperty("name", name);
        p.setProperty("level", floor.name());
        p.setProperty("trust", trustSetting);
        // Not a command-line setting: kept as the user wrote it.
        historyRetention.ifPresent(v -> p.setProperty(HISTORY_RETENTION, v));
        if (tuiBell) {
            p.setProperty("tui.bell", "true"); // saving the name or level must not turn the bell off
        }
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

    Optional<String> trust() {
        return trust;
    }

    /** The {@code history.retention} setting as written, if any. */
    Optional<String> historyRetention() {
        return historyRetention;
    }

    boolean tuiBell() {
        return tuiBell;
    }

    /** {@code codes}, or {@code ca:} followed by a path. */
    static boolean isValidTrust(String setting) {
        return setting != null && (setting.equals(TRUST_CODES)
                || (setting.startsWith(TRUST_CA_PREFIX) && !setting.substring(TRUST_CA_PREFIX.length()).isBlank()));
    }

    static boolean isValidUsername(String name) {
        return name != null && !name.isBlank() && name.codePointCount(0, name.length()) <= 32
                // The rule a peer's HELLO decoder applies to this name (PROTOCOL.md §20.1).
                && PeerText.nameProblem(name).isEmpty();
    }
}

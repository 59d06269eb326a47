package org.securep2p.relay.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RelayConfigTest {

    @TempDir
    Path data;

    private RelayConfig load() throws IOException {
        return RelayConfig.load("127.0.0.1", 443, data, Optional.empty());
    }

    @Test
    void withoutRelayConfTheDefaultsApply() throws IOException {
        RelayConfig c = load();
        RelayConfig d = RelayConfig.defaults("127.0.0.1", 443, data);
        assertThat(c.maxTtl()).isEqualTo(d.maxTtl());
        assertThat(c.mailboxMaxItems()).isEqualTo(d.mailboxMaxItems());
        assertThat(c.maxConnections()).isEqualTo(d.maxConnections());
        assertThat(c.createPassword()).isEmpty();
    }

    @Test
    void relayConfOverridesEachLimit() throws IOException {
        Files.writeString(data.resolve("relay.conf"), """
                ttl.days = 3
                mailbox.max_items=5
                mailbox.max_bytes=6000
                max_mailboxes=7
                rate.requests_per_second=8
                rate.burst=9
                max_connections=10
                """);
        RelayConfig c = load();
        assertThat(c.maxTtl()).isEqualTo(Duration.ofDays(3));
        assertThat(c.mailboxMaxItems()).isEqualTo(5);
        assertThat(c.mailboxMaxBytes()).isEqualTo(6000);
        assertThat(c.maxMailboxes()).isEqualTo(7);
        assertThat(c.requestsPerSecond()).isEqualTo(8);
        assertThat(c.requestBurst()).isEqualTo(9);
        assertThat(c.maxConnections()).isEqualTo(10);
    }

    @Test
    void refusesAnUnknownKeyNamingIt() throws IOException {
        Files.writeString(data.resolve("relay.conf"), "max_conections=10\n");
        assertThatThrownBy(this::load).isInstanceOf(IOException.class).hasMessageContaining("\"max_conections\"");
    }

    @Test
    void refusesBadValuesNamingTheKey() throws IOException {
        for (String bad : new String[] {"0", "-1", "ten", "1.5", "+3", "99999999999999999999", ""}) {
            Files.writeString(data.resolve("relay.conf"), "rate.burst=" + bad + "\n");
            assertThatThrownBy(this::load).as(bad).hasMessageContaining("rate.burst must be a whole number");
        }
        Files.writeString(data.resolve("relay.conf"), "max_connections=2147483648\n");
        assertThatThrownBy(this::load).hasMessageContaining("max_connections");
        Files.writeString(data.resolve("relay.conf"), "ttl.days=3651\n");
        assertThatThrownBy(this::load).hasMessageContaining("ttl.days");
    }

    @Test
    void thePasswordFileLosesOneTrailingNewline() throws IOException {
        Path f = data.resolve("pw");
        Files.writeString(f, "s3cret pass\n");
        RelayConfig c = RelayConfig.load("h", 1, data, Optional.of(f));
        assertThat(c.createPassword()).hasValueSatisfying(
                p -> assertThat(new String(p, StandardCharsets.UTF_8)).isEqualTo("s3cret pass"));
        assertThat(c.toString()).doesNotContain("s3cret").contains("by password");
        Files.writeString(f, "crlf\r\n");
        assertThat(new String(RelayConfig.load("h", 1, data, Optional.of(f)).createPassword().orElseThrow(),
                StandardCharsets.UTF_8)).isEqualTo("crlf");
    }

    @Test
    void refusesAnEmptyOrOverlongPassword() throws IOException {
        Path f = data.resolve("pw");
        Files.writeString(f, "\n");
        assertThatThrownBy(() -> RelayConfig.load("h", 1, data, Optional.of(f))).hasMessageContaining("1 to 256");
        Files.writeString(f, "x".repeat(257));
        assertThatThrownBy(() -> RelayConfig.load("h", 1, data, Optional.of(f))).hasMessageContaining("1 to 256");
        Files.writeString(f, "x".repeat(256));
        assertThat(RelayConfig.load("h", 1, data, Optional.of(f)).createPassword().orElseThrow()).hasSize(256);
        assertThatThrownBy(() -> RelayConfig.load("h", 1, data, Optional.of(data.resolve("missing"))))
                .hasMessageContaining("cannot be read");
    }

    @Test
    void theStoreComesFromTheOptionElseRelayConfElseIsSqlite() throws IOException {
        assertThat(load().store()).isEmpty();
        assertThat(load().toString()).contains("store SQLite");
        Path pw = data.resolve("store.pw");
        Files.writeString(pw, "pg-s3cret\n");
        Files.setPosixFilePermissions(pw, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Files.writeString(data.resolve(RelayConfig.CONF_FILE),
                "store = postgresql://conf.example:5432/relay?user=fromconf\nstore.password_file = store.pw\n");
        RelayConfig fromConf = load();
        assertThat(fromConf.store()).hasValueSatisfying(l -> {
            assertThat(l.where()).isEqualTo("conf.example:5432/relay");
            assertThat(l.user()).isEqualTo("fromconf");
            assertThat(new String(l.password(), StandardCharsets.UTF_8)).isEqualTo("pg-s3cret");
        });
        assertThat(fromConf.toString()).doesNotContain("s3cret").contains("password from file");
        RelayConfig fromOption = RelayConfig.load("h", 1, data, Optional.empty(),
                Optional.of("postgresql://opt.example:6543/other?user=fromopt"), Optional.empty());
        assertThat(fromOption.store()).hasValueSatisfying(l -> {
            assertThat(l.where()).isEqualTo("opt.example:6543/other");
            assertThat(l.hasPassword()).isTrue(); // relay.conf's password file still applies
        });
    }

    @Test
    void aStorePasswordWithoutAStoreIsRefused() throws IOException {
        Path pw = data.resolve("store.pw");
        Files.writeString(pw, "x");
        Files.setPosixFilePermissions(pw, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertThatThrownBy(() -> RelayConfig.load("h", 1, data, Optional.empty(), Optional.empty(), Optional.of(pw)))
                .hasMessageContaining("without a PostgreSQL store");
    }
}

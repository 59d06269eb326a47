package org.securep2p.relay.server.testing;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PgClusterTest {

    @Test
    void startsALoopbackClusterWithDurableCommitsAndLeavesNothingBehind() throws Exception {
        Path data;
        int port;
        try (PgCluster pg = PgCluster.start()) {
            port = pg.port();
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl()); Statement s = c.createStatement()) {
                assertThat(show(s, "fsync")).isEqualTo("on");
                assertThat(show(s, "synchronous_commit")).isEqualTo("on");
                assertThat(show(s, "listen_addresses")).isEqualTo("127.0.0.1");
                assertThat(show(s, "server_version")).startsWith("15.");
                data = Path.of(show(s, "data_directory"));
                assertThat(data).exists();
            }
        }
        assertThat(data).doesNotExist();
        assertThat(data.getParent()).doesNotExist();
        // The port is free again: the server is gone, not just its folder.
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            assertThat(s.getLocalPort()).isEqualTo(port);
        }
    }

    @Test
    void aKilledClusterRefusesConnectionsUntilRestartedAndKeepsCommittedRows() throws Exception {
        try (PgCluster pg = PgCluster.start()) {
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl()); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE t (x int)");
                s.execute("INSERT INTO t VALUES (7)");
            }
            pg.kill();
            assertThatThrownBy(() -> DriverManager.getConnection(pg.jdbcUrl()).close())
                    .isInstanceOf(SQLException.class);
            pg.restart();
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl()); Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("SELECT x FROM t")) {
                assertThat(r.next()).isTrue();
                assertThat(r.getInt(1)).isEqualTo(7);
            }
        }
    }

    @Test
    void createsFurtherDatabases() throws Exception {
        try (PgCluster pg = PgCluster.start()) {
            pg.createDatabase("second");
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl("second"))) {
                assertThat(c.getCatalog()).isEqualTo("second");
            }
            assertThat(Files.exists(PgCluster.BIN.resolve("initdb"))).isTrue();
        }
    }

    private static String show(Statement s, String setting) throws SQLException {
        try (ResultSet r = s.executeQuery("SHOW " + setting)) {
            r.next();
            return r.getString(1);
        }
    }
}

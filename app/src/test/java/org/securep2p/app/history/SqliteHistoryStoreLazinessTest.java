package org.securep2p.app.history;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Start-up pays nothing for history: {@link SqliteHistoryStore#open} loads no SQLite class and no class that
 * names one; the first call does. Checked in a class loader of its own, since this JVM's other tests have
 * loaded SQLite long ago.
 */
class SqliteHistoryStoreLazinessTest {

    @TempDir
    Path dir;

    /** Loads the test class path itself (parent: the platform loader) and says what it has loaded. */
    static final class IsolatedLoader extends URLClassLoader {
        IsolatedLoader(URL[] urls) {
            super(urls, ClassLoader.getPlatformClassLoader());
        }

        boolean hasLoaded(String name) {
            return findLoadedClass(name) != null;
        }
    }

    @Test
    void openTouchesNoSqliteClassAndTheFirstCallDoes() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator, -1)) {
            urls.add(new File(entry).toURI().toURL());
        }
        // This loader's copy of sqlite-jdbc extracts its native library again: into native/ beside this test's
        // database, as in a fresh process, not into an earlier test's (deleted) folder.
        String tmpdir = System.clearProperty(SqliteHistoryStore.TMPDIR_PROPERTY);
        try (IsolatedLoader loader = new IsolatedLoader(urls.toArray(URL[]::new))) {
            Class<?> secretBytes = loader.loadClass("org.securep2p.crypto.SecretBytes");
            Class<?> retention = loader.loadClass("org.securep2p.app.history.Retention");
            Class<?> storeClass = loader.loadClass("org.securep2p.app.history.SqliteHistoryStore");
            assertThat(storeClass.getClassLoader()).isSameAs(loader);
            Object key = secretBytes.getMethod("copyOf", byte[].class).invoke(null, (Object) new byte[32]);
            Object forever = retention.getMethod("forever").invoke(null);
            Object store = storeClass.getMethod("open", Path.class, secretBytes, retention, SecureRandom.class,
                    Clock.class).invoke(null, dir.resolve("history.db"), key, forever, new SecureRandom(),
                    HistoryTesting.CLOCK);

            assertThat(loader.hasLoaded("org.securep2p.app.history.HistoryDatabase")).isFalse();
            assertThat(loader.hasLoaded("org.sqlite.SQLiteConfig")).isFalse();
            assertThat(loader.hasLoaded("org.sqlite.JDBC")).isFalse();
            assertThat(dir.resolve("history.db")).doesNotExist();

            Object list = storeClass.getMethod("conversations").invoke(store);
            assertThat((List<?>) list).isEmpty();
            assertThat(loader.hasLoaded("org.securep2p.app.history.HistoryDatabase")).isTrue();
            assertThat(loader.hasLoaded("org.sqlite.SQLiteConfig")).isTrue();
            assertThat(dir.resolve("history.db")).exists();
            assertThat(dir.resolve("native")).isDirectory();
            storeClass.getMethod("close").invoke(store);
        } finally {
            if (tmpdir == null) {
                System.clearProperty(SqliteHistoryStore.TMPDIR_PROPERTY);
            } else {
                System.setProperty(SqliteHistoryStore.TMPDIR_PROPERTY, tmpdir);
            }
        }
    }
}

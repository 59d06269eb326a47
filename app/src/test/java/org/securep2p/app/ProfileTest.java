package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.SecurityLevel;

/** profile.properties: what is read, and that a save (every start with changed options) keeps what it does not set. */
class ProfileTest {

    @TempDir
    Path dir;

    @Test
    void theHistoryRetentionIsReadAndSurvivesASave() throws Exception {
        Path file = dir.resolve("profile.properties");
        Files.writeString(file, "name=alice\nlevel=ENHANCED\ntrust=codes\nhistory.retention= 30 \n",
                StandardCharsets.UTF_8);
        Profile p = Profile.load(file);
        assertThat(p.historyRetention()).contains("30");
        p.save(file, "alice2", SecurityLevel.STANDARD, "codes");
        Profile again = Profile.load(file);
        assertThat(again.username()).contains("alice2");
        assertThat(again.historyRetention()).contains("30");
    }

    @Test
    void withoutTheSettingThereIsNone() throws Exception {
        Path file = dir.resolve("profile.properties");
        Files.writeString(file, "name=alice\n", StandardCharsets.UTF_8);
        Profile p = Profile.load(file);
        assertThat(p.historyRetention()).isEmpty();
        p.save(file, "alice", SecurityLevel.STANDARD, "codes");
        assertThat(Files.readString(file)).doesNotContain("history.retention");
    }
}

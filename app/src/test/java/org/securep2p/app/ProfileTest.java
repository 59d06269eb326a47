package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    private Path profile(String text) throws Exception {
        Path file = dir.resolve("profile.properties");
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    @Test
    void theBellIsOffUnlessTheProfileTurnsItOn() throws Exception {
        assertThat(Profile.load(dir.resolve("missing.properties")).tuiBell()).isFalse();
        assertThat(Profile.load(profile("name=alice\n")).tuiBell()).isFalse();
        assertThat(Profile.load(profile("name=alice\ntui.bell=true\n")).tuiBell()).isTrue();
        assertThat(Profile.load(profile("name=alice\ntui.bell = FALSE \n")).tuiBell()).isFalse();
    }

    @Test
    void aBellSettingThatIsNeitherTrueNorFalseIsRefusedWithASentence() throws Exception {
        Path file = profile("tui.bell=loud\n");
        assertThatThrownBy(() -> Profile.load(file)).isInstanceOf(AppException.class)
                .hasMessageContaining("tui.bell must be true or false");
    }

    @Test
    void savingTheNameOrLevelKeepsTheBellOn() throws Exception {
        Path file = profile("name=alice\nlevel=ENHANCED\ntui.bell=true\n");
        Profile.load(file).save(file, "alice", SecurityLevel.QUANTUM_RESISTANT, Profile.TRUST_CODES);
        Profile again = Profile.load(file);
        assertThat(again.level()).contains(SecurityLevel.QUANTUM_RESISTANT);
        assertThat(again.tuiBell()).isTrue();
    }
}

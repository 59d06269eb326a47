package org.securep2p.app.history;

import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.HashFunction;
import org.securep2p.crypto.Hkdf;
import org.securep2p.crypto.Hmac;
import org.securep2p.crypto.SecretBytes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HistoryKeysTest {

    @Test
    void theConversationKeyIsHmacUnderTheHkdfSubKeyOfItsLabel(TestInfo info) throws Exception {
        HistoryTesting t = new HistoryTesting(info.getDisplayName());
        byte[] fingerprint = t.fingerprint().toBytes();
        try (SecretBytes key = t.key(); HistoryKeys keys = HistoryKeys.derive(key, new SecureRandom(), 1)) {
            byte[] ikm = key.copyBytes();
            try (SecretBytes sub = Hkdf.derive(HashFunction.SHA_256, ikm, null,
                    "securep2p/v1/app/history/conversation".getBytes(StandardCharsets.US_ASCII), 32)) {
                assertThat(keys.conversation(fingerprint))
                        .isEqualTo(Hmac.mac(HashFunction.SHA_256, sub.copyBytes(), fingerprint));
            }
            // The other sub-keys are other keys: the same input gives other hashes.
            assertThat(keys.name(new String(fingerprint, StandardCharsets.ISO_8859_1)))
                    .isNotEqualTo(keys.conversation(fingerprint));
        }
    }

    @Test
    void anotherHistoryKeyGivesUnrelatedConversationKeys(TestInfo info) {
        HistoryTesting t = new HistoryTesting(info.getDisplayName());
        byte[] fingerprint = t.fingerprint().toBytes();
        try (SecretBytes a = t.key(); SecretBytes b = t.key();
                HistoryKeys ka = HistoryKeys.derive(a, new SecureRandom(), 1);
                HistoryKeys kb = HistoryKeys.derive(b, new SecureRandom(), 1)) {
            assertThat(ka.conversation(fingerprint)).isNotEqualTo(kb.conversation(fingerprint));
        }
    }

    @Test
    void aValueSealedForOneKindOrRowOpensForNoOther(TestInfo info) throws Exception {
        HistoryTesting t = new HistoryTesting(info.getDisplayName());
        byte[] conv = new byte[32];
        byte[] other = new byte[32];
        other[31] = 1;
        byte[] mid = new byte[32];
        try (SecretBytes key = t.key(); HistoryKeys keys = HistoryKeys.derive(key, new SecureRandom(), 1)) {
            byte[][] ads = {
                keys.keyCheckAd(), keys.peerAd(conv), keys.nameAd(conv), keys.failureAd(conv, mid),
                keys.bodyAd(conv, mid, 1, HistoryMessage.Direction.SENT, 5),
                keys.peerAd(other), keys.nameAd(other), keys.failureAd(other, mid),
                keys.bodyAd(other, mid, 1, HistoryMessage.Direction.SENT, 5),
                keys.bodyAd(conv, mid, 2, HistoryMessage.Direction.SENT, 5),
                keys.bodyAd(conv, mid, 1, HistoryMessage.Direction.RECEIVED, 5),
                keys.bodyAd(conv, mid, 1, HistoryMessage.Direction.SENT, 6)};
            byte[] plain = {1, 2, 3};
            for (int i = 0; i < ads.length; i++) {
                byte[] sealed = keys.seal(plain, ads[i]);
                for (int j = 0; j < ads.length; j++) {
                    if (i == j) {
                        assertThat(keys.open(sealed, ads[j])).isEqualTo(plain);
                    } else {
                        int jj = j;
                        assertThatThrownBy(() -> keys.open(sealed, ads[jj])).isInstanceOf(CryptoException.class);
                    }
                }
            }
        }
    }

    @Test
    void closeWipesEverySubKeyAndNothingPrintsOne(TestInfo info) throws Exception {
        HistoryTesting t = new HistoryTesting(info.getDisplayName());
        HistoryKeys keys;
        try (SecretBytes key = t.key()) {
            keys = HistoryKeys.derive(key, new SecureRandom(), 1);
        }
        // The caller's key is closed; the store's sub-keys still work.
        byte[] sealed = keys.seal(new byte[] {7}, keys.keyCheckAd());
        assertThat(keys.toString()).doesNotContainPattern("[0-9a-fA-F]{16}");
        keys.close();
        for (String name : new String[] {"conversationKey", "nameKey", "messageKey"}) {
            Field f = HistoryKeys.class.getDeclaredField(name);
            f.setAccessible(true);
            assertThat((byte[]) f.get(keys)).as(name).containsOnly(0);
        }
        assertThatThrownBy(() -> keys.open(sealed, keys.keyCheckAd())).isInstanceOf(IllegalStateException.class);
    }
}

package org.securep2p.app.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import org.junit.jupiter.api.Test;
import org.securep2p.crypto.testing.SeededRandom;

/**
 * The file tree (PROTOCOL.md §24.4) against a straightforward recursive reading of RFC 9162 §2.1.1 and §2.1.3.1,
 * and §2.1.3.2's verification against every kind of wrong proof.
 */
class MerkleTreeTest {

    @Test
    void theRootOfNoLeavesIsTheHashOfTheEmptyString() {
        assertThat(HexFormat.of().formatHex(MerkleTree.of(List.of()).root()))
                .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    @Test
    void aLeafIsTheHashOfZeroAndTheData() throws Exception {
        byte[] data = "abc".getBytes(StandardCharsets.US_ASCII);
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        d.update(new byte[] {0, 'a', 'b', 'c'});
        assertThat(MerkleTree.leafHash(data, 0, 3)).isEqualTo(d.digest());
        byte[] padded = "xxabcxx".getBytes(StandardCharsets.US_ASCII);
        assertThat(MerkleTree.leafHash(padded, 2, 3)).isEqualTo(MerkleTree.leafHash(data, 0, 3));
        assertThat(MerkleTree.of(List.of(MerkleTree.leafHash(data, 0, 3))).root())
                .isEqualTo(MerkleTree.leafHash(data, 0, 3));
    }

    @Property(tries = 300)
    void rootAndEveryPathAreRfc9162s(@ForAll @IntRange(min = 1, max = 300) int n) {
        List<byte[]> leaves = leaves(n);
        MerkleTree tree = MerkleTree.of(leaves);
        byte[] root = mth(leaves);
        assertThat(tree.root()).isEqualTo(root);
        assertThat(tree.count()).isEqualTo(n);
        for (int i = 0; i < n; i++) {
            List<byte[]> path = tree.auditPath(i);
            assertThat(path).as("leaf %d of %d", i, n).usingElementComparator(MerkleTreeTest::compare)
                    .containsExactlyElementsOf(path(i, leaves));
            assertThat(MerkleTree.depth(i, n)).isEqualTo(path.size());
            assertThat(tree.leaf(i)).isEqualTo(leaves.get(i));
            assertThat(MerkleTree.verify(leaves.get(i), i, n, path, root)).as("leaf %d of %d", i, n).isTrue();
        }
    }

    @Property(tries = 300)
    void anyOtherIndexCountFlippedByteOrPathLengthFails(@ForAll @IntRange(min = 1, max = 300) int n,
            @ForAll @IntRange(min = 0, max = 299) int pick, @ForAll @IntRange(min = 0, max = 1000) int other,
            @ForAll @IntRange(min = 0, max = 255) int bit) {
        List<byte[]> leaves = leaves(n);
        MerkleTree tree = MerkleTree.of(leaves);
        byte[] root = tree.root();
        int i = pick % n;
        byte[] leaf = leaves.get(i);
        List<byte[]> path = tree.auditPath(i);
        int j = other % n;
        if (j != i) {
            assertThat(MerkleTree.verify(leaf, j, n, path, root)).as("index %d for %d of %d", j, i, n).isFalse();
            assertThat(MerkleTree.verify(leaves.get(j), i, n, path, root)).isFalse();
        }
        // A path can prove a leaf for more than one tree size (n = 5 and 6 share leaf 0's path shape): the size is
        // bound elsewhere (§24.3's associated data), so only a count whose path differs in length must fail.
        for (int m = Math.max(1, n - 3); m <= n + 3; m++) {
            if (i < m && MerkleTree.depth(i, m) != path.size()) {
                assertThat(MerkleTree.verify(leaf, i, m, path, root)).as("count %d for %d", m, n).isFalse();
            }
        }
        byte[] flippedLeaf = leaf.clone();
        flippedLeaf[bit % 32] ^= (byte) (1 << (bit % 8));
        assertThat(MerkleTree.verify(flippedLeaf, i, n, path, root)).isFalse();
        byte[] flippedRoot = root.clone();
        flippedRoot[bit % 32] ^= (byte) (1 << (bit % 8));
        assertThat(MerkleTree.verify(leaf, i, n, path, flippedRoot)).isFalse();
        for (int k = 0; k < path.size(); k++) {
            List<byte[]> flipped = new ArrayList<>(path);
            byte[] h = flipped.get(k).clone();
            h[bit % 32] ^= (byte) (1 << (bit % 8));
            flipped.set(k, h);
            assertThat(MerkleTree.verify(leaf, i, n, flipped, root)).as("byte of hash %d", k).isFalse();
        }
        if (!path.isEmpty()) {
            assertThat(MerkleTree.verify(leaf, i, n, path.subList(0, path.size() - 1), root)).isFalse();
        }
        List<byte[]> longer = new ArrayList<>(path);
        longer.add(root);
        assertThat(MerkleTree.verify(leaf, i, n, longer, root)).isFalse();
        List<byte[]> extended = new ArrayList<>(path);
        extended.add(leaf);
        assertThat(MerkleTree.verify(leaf, i, n, extended, root)).isFalse();
    }

    @Test
    void refusesImpossibleArguments() {
        List<byte[]> leaves = leaves(5);
        MerkleTree tree = MerkleTree.of(leaves);
        assertThat(MerkleTree.verify(leaves.get(0), -1, 5, tree.auditPath(0), tree.root())).isFalse();
        assertThat(MerkleTree.verify(leaves.get(0), 5, 5, tree.auditPath(0), tree.root())).isFalse();
        assertThat(MerkleTree.verify(leaves.get(0), 0, 0, tree.auditPath(0), tree.root())).isFalse();
        assertThat(MerkleTree.verify(new byte[31], 0, 5, tree.auditPath(0), tree.root())).isFalse();
    }

    private static List<byte[]> leaves(int n) {
        SeededRandom random = new SeededRandom("merkle " + n);
        List<byte[]> leaves = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] data = new byte[1 + i % 7];
            random.nextBytes(data);
            leaves.add(MerkleTree.leafHash(data, 0, data.length));
        }
        return leaves;
    }

    /** RFC 9162 §2.1.1, MTH over leaf hashes, read literally. */
    private static byte[] mth(List<byte[]> d) {
        int n = d.size();
        if (n == 0) {
            return sha256();
        }
        if (n == 1) {
            return d.get(0);
        }
        int k = largestPowerOfTwoBelow(n);
        return sha256(new byte[] {1}, mth(d.subList(0, k)), mth(d.subList(k, n)));
    }

    /** RFC 9162 §2.1.3.1, PATH(m, D[n]). */
    private static List<byte[]> path(int m, List<byte[]> d) {
        int n = d.size();
        List<byte[]> out = new ArrayList<>();
        if (n <= 1) {
            return out;
        }
        int k = largestPowerOfTwoBelow(n);
        if (m < k) {
            out.addAll(path(m, d.subList(0, k)));
            out.add(mth(d.subList(k, n)));
        } else {
            out.addAll(path(m - k, d.subList(k, n)));
            out.add(mth(d.subList(0, k)));
        }
        return out;
    }

    private static int largestPowerOfTwoBelow(int n) {
        int k = 1;
        while (k * 2 < n) {
            k *= 2;
        }
        return k;
    }

    private static byte[] sha256(byte[]... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (byte[] p : parts) {
                md.update(p);
            }
            return md.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int compare(byte[] a, byte[] b) {
        return java.util.Arrays.compare(a, b);
    }
}

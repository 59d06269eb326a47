package org.securep2p.transport.reliable;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ReliableRangeSetTest {

    @Test
    void mergesOverlappingAndAdjacentRanges() {
        ReliableRangeSet s = new ReliableRangeSet(4, false);
        assertThat(s.add(10, 20)).isEqualTo(ReliableRangeSet.ADDED);
        assertThat(s.add(30, 40)).isEqualTo(ReliableRangeSet.ADDED);
        assertThat(s.add(20, 30)).isEqualTo(ReliableRangeSet.ADDED);
        assertThat(s.toString()).isEqualTo("[10..40]");
        assertThat(s.add(5, 45)).isEqualTo(ReliableRangeSet.ADDED);
        assertThat(s.toString()).isEqualTo("[5..45]");
    }

    @Test
    void reportsCoveredRangesAsPresent() {
        ReliableRangeSet s = new ReliableRangeSet(4, false);
        s.add(10, 20);
        assertThat(s.add(12, 18)).isEqualTo(ReliableRangeSet.ALREADY_PRESENT);
        assertThat(s.contains(10)).isTrue();
        assertThat(s.contains(19)).isTrue();
        assertThat(s.contains(20)).isFalse();
        assertThat(s.contains(9)).isFalse();
    }

    @Test
    void aFullRefusingSetStaysUnchanged() {
        ReliableRangeSet s = new ReliableRangeSet(2, false);
        s.add(10, 20);
        s.add(30, 40);
        assertThat(s.canAdd(50, 60)).isFalse();
        assertThat(s.add(50, 60)).isEqualTo(ReliableRangeSet.FULL);
        assertThat(s.toString()).isEqualTo("[10..20 30..40]");
        // Merging needs no new range, so it is still accepted.
        assertThat(s.canAdd(40, 45)).isTrue();
        assertThat(s.add(40, 45)).isEqualTo(ReliableRangeSet.ADDED);
        assertThat(s.toString()).isEqualTo("[10..20 30..45]");
    }

    @Test
    void aFullEvictingSetForgetsItsLowestRange() {
        ReliableRangeSet s = new ReliableRangeSet(3, true);
        s.add(10, 11);
        s.add(20, 21);
        s.add(30, 31);
        assertThat(s.add(40, 41)).isEqualTo(ReliableRangeSet.ADDED);
        assertThat(s.toString()).isEqualTo("[20..21 30..31 40..41]");
        assertThat(s.add(25, 26)).isEqualTo(ReliableRangeSet.ADDED);
        assertThat(s.toString()).isEqualTo("[25..26 30..31 40..41]");
        // Below everything kept: cannot be recorded without losing newer information.
        assertThat(s.add(1, 2)).isEqualTo(ReliableRangeSet.FULL);
    }

    @Test
    void popsTheLowestRangeOnlyWhereItStarts() {
        ReliableRangeSet s = new ReliableRangeSet(4, false);
        s.add(10, 20);
        s.add(30, 40);
        assertThat(s.popIfStartsAt(11)).isEqualTo(-1);
        assertThat(s.popIfStartsAt(10)).isEqualTo(20);
        assertThat(s.toString()).isEqualTo("[30..40]");
        assertThat(s.max()).isEqualTo(40);
    }
}

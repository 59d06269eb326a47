package org.securep2p.app.doctor;

import java.util.List;

import org.securep2p.app.doctor.DoctorReport.Check;

/**
 * The doctor's measurements, one call each, so that {@link Doctor#diagnose} (bounding their time) and
 * {@link Verdicts} can be tested without a network or a key manager. A call may block; it may throw a
 * {@link RuntimeException}, which the runner turns into a failed check.
 */
interface Probes {

    /** The configured STUN servers as {@code HOST:PORT}, in order. */
    List<String> stunServers();

    /** The configured TURN servers as {@code HOST:PORT}, in order. */
    List<String> turnServers();

    /** The configured relays as {@code HOST:PORT}, in order. */
    List<String> relays();

    Check keys();

    Check home();

    Facts.Network network();

    /** The TURN server {@code turnServers().get(index)}. */
    Facts.Turn turn(int index);

    /** The relay {@code relays().get(index)}. */
    Facts.Relay relay(int index);

    Check ipv6();

    Check clock();
}

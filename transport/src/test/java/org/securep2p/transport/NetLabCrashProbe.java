package org.securep2p.transport;

import java.util.List;
import org.securep2p.transport.testing.NetLab;

/**
 * A JVM that brings a lab up, starts a process in it and dies of an uncaught exception without closing the
 * lab: {@link NetLabIT} runs it to check that the shutdown hook alone tears everything down. Prints
 * {@code PREFIX}, {@code COTURN_PID} and {@code CHILD_PID} lines first.
 */
final class NetLabCrashProbe {

    private NetLabCrashProbe() {
    }

    public static void main(String[] args) throws Exception {
        NetLab lab = NetLab.up(NetLab.Topology.DIRECT);
        Process sleeper = lab.exec(lab.nsA(), List.of("sleep", "600"));
        System.out.println("PREFIX " + lab.prefix());
        System.out.println("COTURN_PID " + lab.coturnPid());
        System.out.println("CHILD_PID " + sleeper.pid());
        System.out.flush();
        throw new IllegalStateException("deliberate crash with " + lab + " still up");
    }
}

package org.securep2p.transport.ice;

import java.io.IOException;
import java.net.InetAddress;
import java.util.Collection;
import java.util.List;

import org.ice4j.Transport;
import org.ice4j.ice.Component;
import org.ice4j.ice.ComponentSocket;
import org.ice4j.ice.HostCandidate;
import org.ice4j.ice.LocalCandidate;
import org.ice4j.ice.harvest.CandidateHarvester;
import org.ice4j.ice.harvest.HarvestStatistics;
import org.ice4j.socket.IceSocketWrapper;
import org.ice4j.socket.IceUdpSocketWrapper;
import org.ice4j.socket.MultiplexingDatagramSocket;

/**
 * A host candidate on a loopback address. ice4j's own host harvester skips loopback interfaces, so without
 * this two peers on one machine (tests, the benchmark) have nothing to pair.
 */
final class LoopbackHarvester implements CandidateHarvester {

    private final InetAddress address;
    private final HarvestStatistics statistics = new HarvestStatistics();

    LoopbackHarvester(InetAddress address) {
        if (!address.isLoopbackAddress()) {
            throw new IllegalArgumentException("not a loopback address: " + address.getHostAddress());
        }
        this.address = address;
    }

    @Override
    public Collection<LocalCandidate> harvest(Component component) {
        try {
            IceSocketWrapper socket = new IceUdpSocketWrapper(new MultiplexingDatagramSocket(0, address));
            HostCandidate candidate = new HostCandidate(socket, component, Transport.UDP);
            component.addLocalCandidate(candidate);
            // Exactly what ice4j's HostCandidateHarvester does after creating a candidate: connectivity checks
            // go through the STUN stack, application data through the component socket.
            candidate.getStunStack().addSocket(candidate.getStunSocket(null));
            ComponentSocket componentSocket = component.getComponentSocket();
            if (componentSocket != null) {
                componentSocket.add(socket);
            }
            return List.of(candidate);
        } catch (IOException e) {
            return List.of();
        }
    }

    @Override
    public HarvestStatistics getHarvestStatistics() {
        return statistics;
    }

    @Override
    public boolean isHostHarvester() {
        return true;
    }
}

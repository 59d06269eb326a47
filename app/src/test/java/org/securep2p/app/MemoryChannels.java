package org.securep2p.app;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.UnaryOperator;

import org.securep2p.crypto.IdentityPublicKeys;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.TransportException;

/** Two connected in-memory {@link ChatChannel}s; an optional tamper function sits on each direction. */
final class MemoryChannels {

    private static final byte[] EOF = new byte[0];

    final End a;
    final End b;

    MemoryChannels(IdentityPublicKeys aIdentity, IdentityPublicKeys bIdentity, SecurityLevel level, byte[] binding) {
        this(aIdentity, bIdentity, level, binding, level);
    }

    MemoryChannels(IdentityPublicKeys aIdentity, IdentityPublicKeys bIdentity, SecurityLevel aLevel, byte[] binding,
            SecurityLevel bLevel) {
        BlockingQueue<byte[]> toA = new LinkedBlockingQueue<>();
        BlockingQueue<byte[]> toB = new LinkedBlockingQueue<>();
        a = new End(toB, toA, bIdentity, aLevel, binding);
        b = new End(toA, toB, aIdentity, bLevel, binding);
    }

    static final class End implements ChatChannel {
        private final BlockingQueue<byte[]> out;
        private final BlockingQueue<byte[]> in;
        private final IdentityPublicKeys peer;
        private final SecurityLevel level;
        private final byte[] binding;
        volatile UnaryOperator<byte[]> tamperOutgoing = UnaryOperator.identity();
        volatile boolean closed;

        End(BlockingQueue<byte[]> out, BlockingQueue<byte[]> in, IdentityPublicKeys peer, SecurityLevel level,
                byte[] binding) {
            this.out = out;
            this.in = in;
            this.peer = peer;
            this.level = level;
            this.binding = binding;
        }

        @Override
        public void send(byte[] message) throws TransportException {
            if (closed) {
                throw new TransportException(TransportException.Reason.CLOSED, "closed");
            }
            byte[] m = tamperOutgoing.apply(message.clone());
            if (m != null) {
                out.add(m);
            }
        }

        /** Delivers raw bytes to the peer as if they came from this side (replay, injection). */
        void inject(byte[] raw) {
            out.add(raw.clone());
        }

        @Override
        public byte[] receive() throws TransportException {
            try {
                byte[] m = in.take();
                if (m == EOF) {
                    in.add(EOF);
                    throw new TransportException(TransportException.Reason.CLOSED, "closed");
                }
                return m;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TransportException(TransportException.Reason.CLOSED, "interrupted");
            }
        }

        @Override
        public IdentityPublicKeys peerIdentity() {
            return peer;
        }

        @Override
        public SecurityLevel level() {
            return level;
        }

        @Override
        public byte[] channelBinding() {
            return binding.clone();
        }

        @Override
        public String path() {
            return "direct";
        }

        @Override
        public String remoteAddress() {
            return "memory";
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                out.add(EOF);
                in.add(EOF);
            }
        }
    }
}

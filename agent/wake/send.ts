/**
 * Puts a WakePlan on the wire: one UDP socket per destination and port, bound to the subnet
 * interface's address when the bridge has one (else left to the kernel's route), with
 * SO_BROADCAST, connected so the kernel's choice of source address can be read back and reported.
 */
import { createSocket, type Socket } from 'node:dgram';
import { errorMessage } from '../logger.ts';
import type { WakePlan } from './plan.ts';

export interface SentPacket {
  readonly deviceId: string;
  readonly to: string;
  readonly port: number;
  readonly from: string;
  readonly bytes: number;
}

export interface SendFailure {
  readonly to: string;
  readonly port: number;
  /** The system's reason, e.g. `connect ENETUNREACH 10.9.0.255:9`, `send EPERM ...`. */
  readonly error: string;
}

export interface SendOutcome {
  readonly sent: SentPacket[];
  readonly failures: SendFailure[];
}

function onceSettled(socket: Socket, start: (done: (err?: Error | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    socket.once('error', onError);
    start((err) => {
      socket.off('error', onError);
      if (err) reject(err);
      else resolve();
    });
  });
}

async function sendTo(plan: WakePlan, to: string, port: number, outcome: SendOutcome): Promise<void> {
  const socket = createSocket({ type: 'udp4' });
  try {
    await onceSettled(socket, (done) =>
      socket.bind({ port: 0, ...(plan.via === null ? {} : { address: plan.via.address }) }, () => done()),
    );
    socket.setBroadcast(true);
    await onceSettled(socket, (done) => socket.connect(port, to, done));
    const from = socket.address().address;
    for (const packet of plan.packets) {
      await onceSettled(socket, (done) => socket.send(packet.payload, (err) => done(err)));
      outcome.sent.push({ deviceId: packet.deviceId, to, port, from, bytes: packet.payload.length });
    }
  } catch (err) {
    outcome.failures.push({ to, port, error: errorMessage(err) });
  } finally {
    // A socket whose bind failed is already closed; closing it again throws.
    try {
      socket.close();
    } catch {}
  }
}

/** Sends every packet of `plan`; a failing destination is recorded and the others still get theirs. */
export async function sendWakePlan(plan: WakePlan): Promise<SendOutcome> {
  const outcome: SendOutcome = { sent: [], failures: [] };
  for (const to of plan.destinations) {
    for (const port of plan.ports) await sendTo(plan, to, port, outcome);
  }
  return outcome;
}

/**
 * The caller participant's join token: a room-join grant for exactly one room, the identity, and, when an agent name
 * is configured, the room configuration that dispatches that agent when the room is created by this join
 * (LiveKit's "dispatch on participant connection": no extra API call, no extra round trip).
 */
import { AccessToken, RoomAgentDispatch, RoomConfiguration, type VideoGrant } from 'livekit-server-sdk';

export interface JoinTokenRequest {
  apiKey: string;
  apiSecret: string;
  room: string;
  identity: string;
  /** Display name (`Participant.name`). */
  name: string;
  /** `sip` makes the caller a SIP participant (ParticipantKind.SIP) as LiveKit telephony agents expect. */
  kind: 'sip' | 'standard';
  metadata: string;
  attributes: Record<string, string>;
  /** Explicit dispatch of this agent (its `agentName`), with `agentMetadata` as the job's metadata. */
  agentName?: string;
  agentMetadata?: string;
  /** Validity for the initial connection, in seconds. */
  ttlS: number;
}

/** The video grant of a caller: join one room, publish audio, subscribe, send data (DTMF fallback). */
export function joinGrant(room: string): VideoGrant {
  return { room, roomJoin: true, canPublish: true, canSubscribe: true, canPublishData: true };
}

export async function createJoinToken(req: JoinTokenRequest): Promise<string> {
  const token = new AccessToken(req.apiKey, req.apiSecret, {
    identity: req.identity,
    name: req.name,
    metadata: req.metadata,
    attributes: req.attributes,
    ttl: req.ttlS,
  });
  token.addGrant(joinGrant(req.room));
  token.kind = req.kind;
  if (req.agentName !== undefined) {
    token.roomConfig = new RoomConfiguration({
      agents: [new RoomAgentDispatch({ agentName: req.agentName, metadata: req.agentMetadata ?? '' })],
    });
  }
  return token.toJwt();
}

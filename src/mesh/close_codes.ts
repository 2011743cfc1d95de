/** WebSocket close codes of the mesh (PROTOCOL §8). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  Malformed: 4001,
  Decrypt: 4002,
  IdentityMismatch: 4003,
  KeepaliveTimeout: 4004,
  Blocked: 4005,
  Abusive: 4006,
  HandshakeTimeout: 4007,
  FlowViolation: 4008,
  Duplicate: 4009,
  TooOld: 4010,
  UnknownVersion: 4011,
} as const;

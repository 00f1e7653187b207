/**
 * Identifiers and scalars that every device message and topic shares.
 * Device id = IoT thing name = MQTT client id = certificate CN.
 */
import * as z from 'zod';

/** Thing names allow [a-zA-Z0-9:_-]; we drop ':' so an id is safe in topics, S3 keys and URLs. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
export const SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export const isDeviceId = (value: string): boolean => DEVICE_ID_PATTERN.test(value);

export const DeviceIdSchema = z
  .string()
  .regex(DEVICE_ID_PATTERN, 'device id must match [A-Za-z0-9][A-Za-z0-9_-]{0,127}');
export const SessionIdSchema = z.string().regex(SESSION_ID_PATTERN);
export const EpochMsSchema = z.number().int().nonnegative();

/** `ingestDeadLetter` → `IngestDeadLetter`: construct ids that read like the wiring names. */
export const pascal = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);

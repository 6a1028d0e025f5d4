import { statSync } from 'node:fs';
import { join } from 'node:path';
import { RESEARCHER_HEADS_FILE } from '../../common/audit/researcher-head-record.js';

/** A researcher folder stands for its head file (`--researcher-record DIR`). */
export function researcherRecordFile(path: string): string {
  try {
    return statSync(path).isDirectory() ? join(path, RESEARCHER_HEADS_FILE) : path;
  } catch {
    return path; // reported as unreadable when verification opens it
  }
}

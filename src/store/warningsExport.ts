/** Warnings (problems) as downloadable JSON and CSV (RFC 4180: quoted fields, doubled quotes, CRLF). */
import type { Problem } from '../core/data/types.ts';

export function warningsToJson(warnings: readonly Problem[]): string {
  const rows = warnings.map(({ file, line, code, message }) => ({ file, line: line ?? null, code, message }));
  return `${JSON.stringify(rows, null, 2)}\n`;
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function warningsToCsv(warnings: readonly Problem[]): string {
  const lines = ['file,line,code,message'];
  for (const warning of warnings) {
    lines.push([warning.file, warning.line === undefined ? '' : String(warning.line), warning.code, warning.message].map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

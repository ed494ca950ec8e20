/** Writing answers: every response carries a content-type (client-node throws without one). */
import type { ServerResponse } from 'node:http';
import type { ApiError } from './status.js';

export function sendJson(
  res: ServerResponse,
  code: number,
  body: string | object,
  headers: Record<string, string> = {},
  contentType = 'application/json',
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  sendJson(res, err.status.code, err.status, err.headers);
}

export function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

// What one line typed in `chaff client chat` asks for: a text to send, or a
// slash command. A line starting with // sends a text starting with /.

export type ChatInput =
  | { kind: 'nothing' }
  | { kind: 'text'; text: string }
  | { kind: 'file'; path: string }
  | { kind: 'verify' }
  /** Write the conversation to a file: `path` null for the default name; `overwrite` (/save!) replaces an existing file. */
  | { kind: 'save'; path: string | null; overwrite: boolean }
  | { kind: 'help' }
  | { kind: 'quit' }
  /** A slash command used wrongly: `hint` says how to use it. */
  | { kind: 'usage'; hint: string }
  | { kind: 'unknown'; command: string };

export const CHAT_HELP = `/file PATH   send a file (at most 1 MiB)
/verify      show the safety number to compare with your contact
/save [PATH] write the conversation to a text file (default: chat-NAME-DATE.txt here; /save! PATH replaces one)
/quit        leave (Ctrl-D works too)
//text       send a text that starts with /`;

/** The meaning of `line` (as typed: a text keeps its spaces). Pure. */
export function parseChatLine(line: string): ChatInput {
  const command = line.trim();
  if (command === '') return { kind: 'nothing' };
  if (line.startsWith('//')) return { kind: 'text', text: line.slice(1) };
  if (!command.startsWith('/')) return { kind: 'text', text: line };
  const [word] = command.split(/\s/, 1);
  const rest = command.slice(word.length).trim();
  switch (word) {
    case '/quit':
    case '/exit':
      return { kind: 'quit' };
    case '/help':
      return { kind: 'help' };
    case '/verify':
      return { kind: 'verify' };
    case '/save':
    case '/save!':
      return { kind: 'save', path: rest === '' ? null : rest, overwrite: word === '/save!' };
    case '/file':
      return rest === '' ? { kind: 'usage', hint: 'usage: /file PATH' } : { kind: 'file', path: rest };
    default:
      return { kind: 'unknown', command: word };
  }
}

// What the API shows of a message's content: a file by its name and size only.

import type { ChatContent } from '../../protocol/chat/content.js';
import type { MessageContent } from '../api.js';

export function displayOf(content: ChatContent): MessageContent {
  return content.kind === 'text' ? { text: content.text } : { file: { name: content.name, size: content.data.length } };
}

// Reference point for bench/simulator/run.sh: the cheapest possible upstream, a Node server answering a canned
// Chat Completions body. MACHINE.md measured about 40,000 requests/s for this on an idle machine.
const http = require('http');
const body = JSON.stringify({
  id: 'chatcmpl-canned', object: 'chat.completion', created: 1715367049, model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from a canned upstream. '.repeat(6), refusal: null }, logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 20, completion_tokens: 40, total_tokens: 60 },
});
const port = Number(process.argv[2] || 9398);
http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
}).listen(port, '127.0.0.1');

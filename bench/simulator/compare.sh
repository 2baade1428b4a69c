#!/usr/bin/env bash
# Usage: bench/simulator/compare.sh OLD/Provider.Simulator.dll NEW/Provider.Simulator.dll   (ports 9381, 9382)
# A performance change must not change a byte of output: twelve requests (OpenAI, Anthropic, Gemini; plain, streamed,
# tools, logprobs, thinking, errors) go to both builds on fresh processes and the bodies are compared.
# Bodies must be identical once "created" and Anthropic error request_ids (unique per request) are normalised.
set -u
A=$1; B=$2
dotnet "$A" --urls http://127.0.0.1:9381 >/dev/null 2>&1 & PA=$!
dotnet "$B" --urls http://127.0.0.1:9382 >/dev/null 2>&1 & PB=$!
trap 'kill $PA $PB' EXIT
for p in 9381 9382; do for _ in $(seq 1 100); do curl -sf http://127.0.0.1:$p/alive >/dev/null && break; sleep 0.2; done; done
T='{"name":"f","description":"d","parameters":{"type":"object","properties":{"location":{"type":"string"},"n":{"type":"integer"}},"required":["location"]}}'
req() { # port path body extra-headers...
  local port=$1 path=$2 body=$3; shift 3
  curl -s -X POST "http://127.0.0.1:$port$path" -H 'Content-Type: application/json' "$@" -d "$body" | sed -E 's/"created":[0-9]+/"created":0/g; s/"request_id":"req_[0-9a-f]+"/"request_id":"X"/g'
}
fails=0
for case in \
  "/openai/v1/chat/completions|{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi \\\"there\\\" <b> é\"}],\"n\":2,\"logprobs\":true,\"top_logprobs\":2}|-H|Authorization: Bearer k" \
  "/openai/v1/chat/completions|{\"model\":\"gpt-4o\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"logprobs\":true}|-H|Authorization: Bearer k" \
  "/openai/v1/chat/completions|{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"please call a tool\"}],\"tools\":[{\"type\":\"function\",\"function\":$T}]}|-H|Authorization: Bearer k" \
  "/openai/v1/chat/completions|{\"model\":\"gpt-4o\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"type\":\"function\",\"function\":$T}],\"tool_choice\":\"required\"}|-H|Authorization: Bearer k" \
  "/openai/v1/chat/completions|{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"response_format\":{\"type\":\"json_object\"}}|-H|Authorization: Bearer k" \
  "/openai/v1/chat/completions|{\"model\":\"gpt-4o\",\"messages\":[]}|-H|Authorization: Bearer k" \
  "/anthropic/v1/messages|{\"model\":\"claude-3-5-haiku-20241022\",\"max_tokens\":100,\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1024},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}|-H|x-api-key: k|-H|anthropic-version: 2023-06-01" \
  "/anthropic/v1/messages|{\"model\":\"claude-3-5-haiku-20241022\",\"max_tokens\":100,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"call a tool\"}],\"tools\":[{\"name\":\"f\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\"}}}}]}|-H|x-api-key: k|-H|anthropic-version: 2023-06-01" \
  "/anthropic/v1/messages|{\"model\":\"claude\"}|-H|x-api-key: k|-H|anthropic-version: 2023-06-01" \
  "/gemini/v1beta/models/gemini-2.0-flash:generateContent|{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}|-H|x-goog-api-key: k" \
  "/gemini/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse|{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}|-H|x-goog-api-key: k" \
  "/gemini/v1beta/models/gemini-2.0-flash:generateContent|{\"contents\":5}|-H|x-goog-api-key: k" ; do
  IFS='|' read -r -a parts <<<"$case"
  path=${parts[0]}; body=${parts[1]}; extra=("${parts[@]:2}")
  # zero latency on both for the shipped providers used here
  for port in 9381 9382; do for prov in openai anthropic gemini; do curl -s -X PUT http://127.0.0.1:$port/_sim/providers/$prov -H 'Content-Type: application/json' -d '{"ttftMs":{"p50":0,"p99":0},"tokensPerSecond":0}' >/dev/null; done; done
  a=$(req 9381 "$path" "$body" "${extra[@]}"); b=$(req 9382 "$path" "$body" "${extra[@]}")
  if [[ "$a" == "$b" ]]; then echo "same (${#a} bytes) $path"; else echo "DIFF $path"; diff <(echo "$a") <(echo "$b") | head -5; fails=$((fails+1)); fi
done
echo "differences: $fails"

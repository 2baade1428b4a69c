using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Switchboard.Gateway.Tests.Reliability;

/// <summary>An HTTP/1.1 answer read off a raw socket; <see cref="Status"/> is 0 when the server closed without one.</summary>
public sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string Text => Encoding.UTF8.GetString(Body);
}

/// <summary>
/// A deliberately dumb HTTP/1.1 client over a socket: sends exactly the bytes given (headers no HttpClient would
/// send, lying lengths, slow drips) and reads back one response (Content-Length, chunked, or up to the close).
/// </summary>
public static class RawHttp
{
    public static byte[] Request(string method, string path, IEnumerable<string> headerLines, byte[]? body, bool contentLength = true)
    {
        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
        foreach (var line in headerLines)
        {
            head.Append(line).Append("\r\n");
        }
        if (body is not null && contentLength)
        {
            head.Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n");
        }
        head.Append("\r\n");
        // Latin-1 keeps any byte a test put in a header line as that byte.
        return [.. Encoding.Latin1.GetBytes(head.ToString()), .. body ?? []];
    }

    /// <summary>A chunked body, as a client that does not know its length sends it.</summary>
    public static byte[] Chunked(byte[] body, int chunkSize = 8192)
    {
        using var ms = new MemoryStream();
        for (var i = 0; i < body.Length; i += chunkSize)
        {
            var n = Math.Min(chunkSize, body.Length - i);
            ms.Write(Encoding.ASCII.GetBytes(n.ToString("x", CultureInfo.InvariantCulture) + "\r\n"));
            ms.Write(body, i, n);
            ms.Write("\r\n"u8);
        }
        ms.Write("0\r\n\r\n"u8);
        return ms.ToArray();
    }

    public static async Task<RawResponse> SendAsync(int port, byte[] request, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, cts.Token);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(request, cts.Token);
        }
        catch (IOException)
        {
            // The server may answer (413, 400) and close before it has read everything: read what it said.
        }
        return await ReadResponseAsync(stream, cts.Token);
    }

    public static async Task<RawResponse> ReadResponseAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new List<byte>(4096);
        var chunk = new byte[16 * 1024];
        int headerEnd;
        while ((headerEnd = IndexOf(buffer, "\r\n\r\n"u8)) < 0)
        {
            var n = await ReadQuietly(stream, chunk, ct);
            if (n == 0)
            {
                return new RawResponse(0, new Dictionary<string, string>(), [.. buffer]);
            }
            buffer.AddRange(chunk.AsSpan(0, n));
        }
        var head = Encoding.Latin1.GetString([.. buffer.GetRange(0, headerEnd)]).Split("\r\n");
        var status = int.Parse(head[0].Split(' ')[1], CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in head.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                var name = line[..colon].Trim();
                var value = line[(colon + 1)..].Trim();
                headers[name] = headers.TryGetValue(name, out var existing) ? existing + "\n" + value : value;
            }
        }
        var rest = new List<byte>(buffer.GetRange(headerEnd + 4, buffer.Count - headerEnd - 4));
        async Task<bool> More()
        {
            var n = await ReadQuietly(stream, chunk, ct);
            rest.AddRange(chunk.AsSpan(0, n));
            return n > 0;
        }
        if (headers.TryGetValue("Content-Length", out var cl))
        {
            var length = long.Parse(cl, CultureInfo.InvariantCulture);
            while (rest.Count < length && await More())
            {
            }
            return new RawResponse(status, headers, [.. rest.Take((int)Math.Min(length, rest.Count))]);
        }
        if (headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            var body = new List<byte>();
            var pos = 0;
            while (true)
            {
                int lineEnd;
                while ((lineEnd = IndexOf(rest, "\r\n"u8, pos)) < 0)
                {
                    if (!await More())
                    {
                        return new RawResponse(status, headers, [.. body]);
                    }
                }
                var size = int.Parse(Encoding.ASCII.GetString([.. rest.GetRange(pos, lineEnd - pos)]).Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    return new RawResponse(status, headers, [.. body]);
                }
                while (rest.Count < lineEnd + 2 + size + 2)
                {
                    if (!await More())
                    {
                        body.AddRange(rest.Skip(lineEnd + 2));
                        return new RawResponse(status, headers, [.. body]);
                    }
                }
                body.AddRange(rest.GetRange(lineEnd + 2, size));
                pos = lineEnd + 2 + size + 2;
            }
        }
        while (await More())
        {
        }
        return new RawResponse(status, headers, [.. rest]);
    }

    /// <summary>A reset or a timeout counts as the end of what the server sent.</summary>
    private static async Task<int> ReadQuietly(Stream stream, byte[] chunk, CancellationToken ct)
    {
        try
        {
            return await stream.ReadAsync(chunk, ct);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
        {
            return 0;
        }
    }

    private static int IndexOf(List<byte> haystack, ReadOnlySpan<byte> needle, int from = 0)
    {
        var i = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(haystack)[from..].IndexOf(needle);
        return i < 0 ? -1 : from + i;
    }
}

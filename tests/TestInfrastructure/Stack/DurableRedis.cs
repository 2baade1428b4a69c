using System.Net.Sockets;
using System.Text;

namespace Switchboard.Testing.Stack;

/// <summary>
/// A redis-server of our own on a fixed loopback port, with an append-only file in the scratch directory: killed
/// (SIGKILL) and restarted on the same port, it comes back with the streams, consumer groups and counters it held, as a
/// production Redis with persistence does. Every write is in the file before the client hears back (the AOF buffer is
/// written before replies), so a process kill loses no acknowledged XADD.
/// </summary>
public static class DurableRedis
{
    public static ChildProcess Create(Scratch scratch, int port)
    {
        var dir = scratch.File("redis");
        Directory.CreateDirectory(dir);
        return new ChildProcess("redis", port, "redis-server",
            ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", dir,
             "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--protected-mode", "no", "--daemonize", "no"],
            new Dictionary<string, string>(), PingReady, scratch);
    }

    public static string ConnectionString(int port) => $"127.0.0.1:{port},abortConnect=false";

    private static async Task<bool> PingReady(ChildProcess redis, CancellationToken ct)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", redis.Port, ct);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), ct);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, ct);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }
}

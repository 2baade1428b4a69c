using System.Net.Http.Headers;

namespace Switchboard.Gateway.Providers;

/// <summary>Small helpers every adapter needs around upstream HTTP bodies and headers.</summary>
public static class UpstreamHttp
{
    /// <summary>Reads a whole body into one exactly-sized array (at most <paramref name="limit"/> bytes).</summary>
    public static async ValueTask<byte[]> ReadBodyAsync(HttpResponseMessage response, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var declared = response.Content.Headers.ContentLength;
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            if (declared is { } len && len <= limit)
            {
                var exact = new byte[len];
                await stream.ReadExactlyAsync(exact, cancellationToken).ConfigureAwait(false);
                return exact;
            }
            using var ms = new MemoryStream();
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                int n;
                while ((n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    if (ms.Length + n > limit)
                    {
                        throw new UpstreamProtocolException($"the upstream body exceeded {limit} bytes");
                    }
                    ms.Write(buffer, 0, n);
                }
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
            return ms.ToArray();
        }
    }

    /// <summary>Retry-After as a delay: delta seconds or an HTTP date (relative to <paramref name="timeProvider"/>).</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(timeProvider);
        RetryConditionHeaderValue? value = response.Headers.RetryAfter;
        if (value?.Delta is { } delta)
        {
            return delta;
        }
        if (value?.Date is { } date)
        {
            var wait = date - timeProvider.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        // Some providers send fractional seconds or only their own header.
        if (response.Headers.TryGetValues("retry-after-ms", out var ms) && double.TryParse(ms.FirstOrDefault(), System.Globalization.CultureInfo.InvariantCulture, out var millis))
        {
            return TimeSpan.FromMilliseconds(millis);
        }
        return null;
    }
}

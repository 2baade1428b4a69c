using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Contracts.Keys;

/// <summary>
/// The stored form of a gateway key: <c>sha256:&lt;salt-base64&gt;:&lt;hash-base64&gt;</c> where
/// hash = SHA-256(salt || UTF-8(key)). Router.Worker issues keys in this form; the routing document's
/// <c>keyHash</c> uses it too. The one implementation for the gateway, Router.Worker and the validator.
/// </summary>
public sealed class GatewayKeyHash
{
    /// <summary>The algorithm tag every stored hash starts with.</summary>
    public const string Prefix = "sha256:";
    private readonly byte[] _salt;
    private readonly byte[] _hash;

    private GatewayKeyHash(byte[] salt, byte[] hash)
    {
        _salt = salt;
        _hash = hash;
    }

    /// <summary>Hashes a plain key with a fresh random salt (keys given in clear are never kept in clear).</summary>
    public static GatewayKeyHash FromKey(string key)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        return new(salt, Compute(salt, key));
    }

    /// <summary>Parses the stored form; false when it is not <c>sha256:&lt;salt&gt;:&lt;32-byte hash&gt;</c>.</summary>
    public static bool TryParse(string text, out GatewayKeyHash? hash)
    {
        ArgumentNullException.ThrowIfNull(text);
        hash = null;
        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }
        var parts = text[Prefix.Length..].Split(':');
        if (parts.Length != 2)
        {
            return false;
        }
        try
        {
            var salt = Convert.FromBase64String(parts[0]);
            var h = Convert.FromBase64String(parts[1]);
            if (salt.Length == 0 || h.Length != SHA256.HashSizeInBytes)
            {
                return false;
            }
            hash = new(salt, h);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Formats a new salted hash for a key: the only form in which a key is stored.</summary>
    public static string Create(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var salt = RandomNumberGenerator.GetBytes(16);
        return $"{Prefix}{Convert.ToBase64String(salt)}:{Convert.ToBase64String(Compute(salt, key))}";
    }

    /// <summary>True when <paramref name="key"/> hashes to <paramref name="stored"/> (constant-time compare).</summary>
    public static bool Verify(string key, string stored) =>
        TryParse(stored, out var hash) && hash!.Matches(key);

    /// <summary>Constant-time check of a presented key against this hash.</summary>
    public bool Matches(ReadOnlySpan<char> presented)
    {
        Span<byte> computed = stackalloc byte[SHA256.HashSizeInBytes];
        var max = Encoding.UTF8.GetMaxByteCount(presented.Length) + _salt.Length;
        var rented = max <= 512 ? null : System.Buffers.ArrayPool<byte>.Shared.Rent(max);
        var input = rented is null ? stackalloc byte[max] : rented;
        _salt.CopyTo(input);
        var n = Encoding.UTF8.GetBytes(presented, input[_salt.Length..]);
        SHA256.HashData(input[..(_salt.Length + n)], computed);
        if (rented is not null)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
        return CryptographicOperations.FixedTimeEquals(computed, _hash);
    }

    private static byte[] Compute(byte[] salt, string key)
    {
        var bytes = new byte[salt.Length + Encoding.UTF8.GetByteCount(key)];
        salt.CopyTo(bytes, 0);
        Encoding.UTF8.GetBytes(key, 0, key.Length, bytes, salt.Length);
        return SHA256.HashData(bytes);
    }
}

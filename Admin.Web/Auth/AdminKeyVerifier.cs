using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Switchboard.Admin.Auth;

/// <summary>
/// Checks a candidate admin key. Both sides are hashed first so the comparison is constant-time whatever the
/// lengths, and the configured key is never compared character by character.
/// </summary>
public sealed class AdminKeyVerifier(IOptions<AdminOptions> options)
{
    private readonly byte[] _expected = Hash(options.Value.AdminKey);

    public bool Verify(string? candidate) =>
        !string.IsNullOrEmpty(candidate) && CryptographicOperations.FixedTimeEquals(Hash(candidate), _expected);

    private static byte[] Hash(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));
}

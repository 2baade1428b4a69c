using System.ComponentModel.DataAnnotations;

namespace Switchboard.Admin.Auth;

/// <summary>The <c>Switchboard</c> configuration section as Admin.Web reads it.</summary>
public sealed class AdminOptions
{
    public const string Section = "Switchboard";

    /// <summary>The admin key (CONTRACT.md section 8): the sign-in password, and the bearer sent to the services.</summary>
    [Required(ErrorMessage = "Switchboard:AdminKey (environment Switchboard__AdminKey) must be set: it is the sign-in password and the key sent to Metrics.Service and Router.Worker.")]
    public string AdminKey { get; set; } = "";
}

/// <summary>OpenID Connect sign-in, on when <see cref="Authority"/> is configured (<c>Authentication:Oidc</c>).</summary>
public sealed class OidcOptions
{
    public const string Section = "Authentication:Oidc";
    public const string Scheme = "oidc";

    public string? Authority { get; set; }
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    /// <summary>When set, only users with this role (claim "roles" or "role") may sign in.</summary>
    public string? RequiredRole { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);
}

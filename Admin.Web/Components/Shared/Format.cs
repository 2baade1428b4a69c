using System.Globalization;

namespace Switchboard.Admin.Components.Shared;

/// <summary>Numbers as operators read them: always with a unit, "–" when there is no data.</summary>
public static class Format
{
    public const string None = "–";
    private static readonly CultureInfo Culture = CultureInfo.InvariantCulture;

    /// <summary>Milliseconds: "850 ms" below 10 s, "12.3 s" above.</summary>
    public static string Ms(double? ms) => ms switch
    {
        null or double.NaN => None,
        < 10_000 => $"{ms.Value.ToString("0", Culture)} ms",
        _ => $"{(ms.Value / 1000).ToString("0.0", Culture)} s",
    };

    /// <summary>A 0..1 share as a percentage with enough digits to tell 99.9 % from 99.99 %.</summary>
    public static string Percent(double? share) => share switch
    {
        null or double.NaN => None,
        _ => $"{(share.Value * 100).ToString(share.Value is >= 0.99 and < 1 ? "0.00" : "0.0", Culture)} %",
    };

    /// <summary>US dollars: cents for large sums, more digits for the fractions of a cent one request costs.</summary>
    public static string Usd(decimal? usd) => usd switch
    {
        null => None,
        0m => "$0.00",
        var v when Math.Abs(v.Value) >= 1m => $"${v.Value.ToString("#,0.00", Culture)}",
        var v when Math.Abs(v.Value) >= 0.0001m => $"${v.Value.ToString("0.0000", Culture)}",
        // A short answer from a cheap model costs a thousandth of a cent: two significant digits, never "$0.0000".
        var v => $"${v.Value.ToString("0.0000##", Culture)}",
    };

    /// <summary>A count with thousands separators.</summary>
    public static string Count(long n) => n.ToString("#,0", Culture);

    /// <summary>Requests per minute.</summary>
    public static string PerMinute(double rpm) => $"{rpm.ToString(rpm < 10 ? "0.0" : "#,0", Culture)} req/min";

    /// <summary>A burn rate: 1× spends the error budget exactly over the SLO period.</summary>
    public static string Burn(double? rate) => rate is null or double.NaN ? None : $"{rate.Value.ToString("0.0", Culture)}×";

    /// <summary>A UTC timestamp.</summary>
    public static string Time(DateTimeOffset? at) => at is null ? None : at.Value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", Culture);

    /// <summary>A plain number of tokens.</summary>
    public static string Tokens(long n) => $"{Count(n)} tok";
}

using Microsoft.AspNetCore.Components;

namespace Switchboard.Admin.Components.Shared;

/// <summary>
/// A page that loads its data and then refreshes it on a timer while it is open. The timer runs on the
/// injected <see cref="TimeProvider"/> (so tests drive it) and stops when the component is disposed.
/// </summary>
public abstract partial class LiveComponentBase : ComponentBase, IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private PeriodicTimer? _timer;
    private Task? _loop;

    [Inject] protected TimeProvider Time { get; set; } = default!;
    [Inject] private ILogger<LiveComponentBase> Logger { get; set; } = default!;

    /// <summary>How often the data is reloaded; null for pages that only load on demand.</summary>
    protected virtual TimeSpan? RefreshInterval => TimeSpan.FromSeconds(5);

    /// <summary>True until the first load finished.</summary>
    protected bool Loading { get; private set; } = true;

    /// <summary>What went wrong with the last load, for an alert on the page.</summary>
    protected string? LoadError { get; private set; }

    /// <summary>When data last arrived.</summary>
    protected DateTimeOffset? LastUpdated { get; private set; }

    /// <summary>Cancelled when the page closes.</summary>
    protected CancellationToken Stopping => _stopping.Token;

    /// <summary>Loads (or reloads) everything the page shows.</summary>
    protected abstract Task LoadAsync(CancellationToken cancellationToken);

    protected override Task OnInitializedAsync() => RefreshAsync();

    protected override void OnAfterRender(bool firstRender)
    {
        // After the first interactive render only: a prerender never gets here, so no timer outlives a request.
        if (firstRender && RefreshInterval is { } interval)
        {
            _timer = new PeriodicTimer(interval, Time);
            _loop = TickAsync(_timer);
        }
    }

    /// <summary>Reloads now; errors become <see cref="LoadError"/> instead of breaking the circuit.</summary>
    protected async Task RefreshAsync()
    {
        try
        {
            await LoadAsync(_stopping.Token);
            LoadError = null;
            LastUpdated = Time.GetUtcNow();
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or InvalidOperationException)
        {
            LoadError = ex is TaskCanceledException ? "The service did not answer in time." : ex.Message;
            LogLoadFailed(Logger, GetType().Name, ex);
        }
        finally
        {
            Loading = false;
        }
    }

    private async Task TickAsync(PeriodicTimer timer)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                await InvokeAsync(async () =>
                {
                    await RefreshAsync();
                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _timer?.Dispose();
        if (_loop is not null)
        {
            await _loop;
        }
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Loading {Page} failed")]
    private static partial void LogLoadFailed(ILogger logger, string page, Exception exception);
}

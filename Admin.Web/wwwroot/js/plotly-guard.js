// Plotly.Blazor queues every draw until plotly.js has loaded, then runs the queue in one loop. If the operator has
// left a page meanwhile, plotly.js throws for that page's vanished chart and the loop stops: the charts of the page
// now open are never drawn. This wraps plotly.js as it loads so a draw for an element that is gone does nothing.
(() => {
    let plotly;
    const guarded = ['newPlot', 'react', 'relayout', 'restyle', 'update', 'purge'];
    const guard = (fn) => function (target, ...rest) {
        if (typeof target === 'string' && document.getElementById(target) === null) {
            return Promise.resolve();
        }
        return fn.call(this, target, ...rest);
    };
    Object.defineProperty(window, 'Plotly', {
        configurable: true,
        get() { return plotly; },
        set(value) {
            if (value) {
                for (const name of guarded) {
                    if (typeof value[name] === 'function') {
                        value[name] = guard(value[name]);
                    }
                }
            }
            plotly = value;
        },
    });
})();

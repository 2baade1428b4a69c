// Wraps plotly.js as it loads, for two races between Blazor and plotly.js's asynchronous drawing:
// 1. Plotly.Blazor queues every draw until plotly.js has loaded, then runs the queue in one loop. If the operator has
//    left a page meanwhile, plotly.js throws for that page's vanished chart and the loop stops: the charts of the page
//    now open are never drawn. A draw for an element that is gone does nothing.
// 2. Plotly.Blazor purges a chart when its component is disposed (the operator leaves the page). plotly.js draws
//    asynchronously and its last step (the auto-margin redraw) reads gd._fullLayout, which purge deletes: a purge that
//    lands while a draw is in flight made that step throw "Cannot read properties of undefined (reading
//    '_redrawFromAutoMarginCount')". A purge now waits for the element's draw in flight, and purges the element that
//    was drawn (Blazor may already have removed it from the page), never a newer chart that reuses the id.
(() => {
    let plotly;
    const draws = ['newPlot', 'react', 'relayout', 'restyle', 'update'];
    const inFlight = new WeakMap(); // element -> promise of its latest draw (never rejects)
    const drawn = new Map();        // id -> elements drawn under that id and not purged yet

    const element = (target) => typeof target === 'string' ? document.getElementById(target) : target;

    const guardDraw = (fn) => function (target, ...rest) {
        const el = element(target);
        if (!el) {
            return Promise.resolve();
        }
        if (el.id) {
            if (!drawn.has(el.id)) {
                drawn.set(el.id, new Set());
            }
            drawn.get(el.id).add(el);
        }
        const previous = inFlight.get(el) ?? Promise.resolve();
        const result = fn.call(this, el, ...rest);
        const settled = Promise.resolve(result).then(() => undefined, () => undefined);
        inFlight.set(el, Promise.all([previous, settled]).then(() => undefined));
        return result;
    };

    const guardPurge = (fn) => function (target) {
        let targets;
        if (typeof target === 'string') {
            const known = [...(drawn.get(target) ?? [])];
            // The disposed chart is the one Blazor removed; when it has not been removed yet, it is the one on the page.
            targets = known.filter((el) => !el.isConnected);
            if (targets.length === 0) {
                targets = known.length > 0 ? known : [document.getElementById(target)].filter((el) => el);
            }
        } else {
            targets = target ? [target] : [];
        }
        return Promise.all(targets.map((el) => (inFlight.get(el) ?? Promise.resolve()).then(() => {
            inFlight.delete(el);
            drawn.get(el.id)?.delete(el);
            if (drawn.get(el.id)?.size === 0) {
                drawn.delete(el.id);
            }
            return fn.call(this, el);
        })));
    };

    Object.defineProperty(window, 'Plotly', {
        configurable: true,
        get() { return plotly; },
        set(value) {
            if (value) {
                for (const name of draws) {
                    if (typeof value[name] === 'function') {
                        value[name] = guardDraw(value[name]);
                    }
                }
                if (typeof value.purge === 'function') {
                    value.purge = guardPurge(value.purge);
                }
            }
            plotly = value;
        },
    });
})();

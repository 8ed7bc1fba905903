/* A stand-in for the live site's jquery.autocomplete.js, whose source is not public: it defines
   $.fn.autocomplete so the page's `$("#TextBox_Stkno").autocomplete('ACStock.aspx')` runs. It keeps the URL it
   is given and suggests nothing; what ACStock.aspx answers on the live site was never captured. */
(function ($) {
    $.fn.autocomplete = function (url, options) {
        return this.each(function () {
            $(this).data("autocomplete", { url: url, options: options || {} });
        });
    };
})(jQuery);

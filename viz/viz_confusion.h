/* viz_confusion.h — a classifier's confusion matrix as a table of counts.
 *
 * Rows are the gold labels, columns the predicted ones (named along the top, abbreviated to the
 * column width), each cell the count; the colour says how large a share of its gold row the cell
 * holds (green on the diagonal, red off it), bold on the diagonal so mono reads too. A recall
 * column on the right and a precision row at the bottom.
 *
 *     long counts[4] = {40, 2, 5, 53};
 *     const char *labels[2] = {"ham", "spam"};
 *     viz_confusion_draw(&canvas, (viz_rect){0, 0, 60, 8}, 2, labels, counts, "after step 300");
 */
#ifndef BB_VIZ_CONFUSION_H
#define BB_VIZ_CONFUSION_H

#include "viz_canvas.h"

/* Draws the K x K matrix counts (row gold, column predicted) inside r with title on the first row;
 * labels that do not fit are cut and the columns or rows left out are counted on the last row. */
void viz_confusion_draw(viz_canvas *c, viz_rect r, int K, const char *const *labels, const long *counts,
                        const char *title);

#endif
